"""Registration, token exchange and the current user."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import extend_schema
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from synapscale.api import serializers as s
from synapscale.api.schema import PROBLEM_RESPONSES
from synapscale.selectors.workspaces import workspaces_for_user
from synapscale.services.accounts import user_register


def _check_rate(request, group: str, key="ip") -> None:
    try:
        limited = is_ratelimited(
            request, group=group, key=key, rate=settings.AUTH_RATE_LIMIT, increment=True
        )
    except RedisError:
        # Signing in must keep working while Redis is down: fail open, and say so in the log.
        logger.warning("auth_rate_limit_unavailable group=%s", group)
        return
    if limited:
        raise Throttled(detail="Too many attempts; try again in a minute.")


def _username_key(group, request) -> str:
    # Any JSON may arrive (`[]`, a string): the serializer refuses it, the key must not crash.
    data = request.data if isinstance(request.data, dict) else {}
    return str(data.get("username", "")).lower()[:150]


logger = logging.getLogger(__name__)


def roles_by_workspace(user) -> dict[int, str]:
    return dict(user.memberships.values_list("workspace_id", "role"))


class RegisterView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        summary="Register a user",
        description="Creates the user, a personal workspace and an API token.",
        request=s.RegisterInputSerializer,
        responses={201: s.RegistrationOutputSerializer, 400: PROBLEM_RESPONSES[400]},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        _check_rate(request, "auth.register")
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = user_register(**data.validated_data)
        context = {"roles": roles_by_workspace(registration.user)}
        body = s.RegistrationOutputSerializer(
            {
                "token": registration.token,
                "user": registration.user,
                "workspace": registration.workspace,
            },
            context=context,
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        summary="Exchange username and password for the API token",
        request=s.TokenInputSerializer,
        responses={200: s.TokenOutputSerializer, 400: PROBLEM_RESPONSES[400]},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        _check_rate(request, "auth.token")
        # Per account too: guessing one user's password from many addresses is also limited.
        _check_rate(request, "auth.token.user", key=_username_key)
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise ValidationError({"non_field_errors": ["Wrong username or password."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        summary="The current user and their workspaces", responses={200: s.MeOutputSerializer}
    )
    def get(self, request, *args, **kwargs):
        context = {"roles": roles_by_workspace(request.user)}
        body = s.MeOutputSerializer(
            {"user": request.user, "workspaces": workspaces_for_user(request.user)},
            context=context,
        ).data
        return Response(body)
