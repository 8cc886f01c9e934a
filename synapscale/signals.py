"""Django's own account flows that our services must follow.

A password is changed by Django code we do not call (the admin's password form,
``manage.py changepassword``, ``set_password()`` then ``save()``): all of them end in
``AbstractBaseUser.save()``, which holds the new raw password in ``_password`` until after
``post_save``. A hash upgrade at login clears ``_password`` before saving, so it revokes
nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from synapscale.services.accounts import user_password_changed


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens_revoke_on_password")
def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    if not created and getattr(instance, "_password", None) is not None:
        user_password_changed(user=instance)
