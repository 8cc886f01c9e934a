"""Membership changes that race: the workspace row lock keeps one owner at least."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from synapscale.choices import Role
from synapscale.models import Membership
from synapscale.services.workspaces import membership_set, workspace_create
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_themselves_at_once_leave_one_owner():
    first, second = UserFactory(username="own1"), UserFactory(username="own2")
    workspace = workspace_create(name="Shared", owner=first)
    membership_set(workspace=workspace, user=second, role=Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(user):
        barrier.wait()
        try:
            membership_set(workspace=workspace, user=user, role=Role.MEMBER, actor=user)
            outcomes.append("demoted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1
