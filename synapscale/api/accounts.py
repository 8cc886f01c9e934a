"""Registration, token exchange and the current user."""

from django.contrib.auth import authenticate
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from synapscale.api import serializers as s
from synapscale.api.permissions import TokenScopePermission
from synapscale.ratelimits import rate_limit_hit
from synapscale.selectors.workspaces import workspaces_for_user
from synapscale.services.accounts import user_login_record, user_register
from synapscale.services.tokens import token_login_create


def roles_by_workspace(user) -> dict[int, str]:
    return dict(user.memberships.values_list("workspace_id", "role"))


class RegisterView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    rate_limit_group = "auth"

    @extend_schema(
        summary="Register a user",
        description="Creates the user, a personal workspace and an API token.",
        request=s.RegisterInputSerializer,
        responses={201: s.RegistrationOutputSerializer},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
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
    rate_limit_group = "auth"

    @extend_schema(
        summary="Exchange username and password for a new token",
        description=(
            "Each call creates a token named `login` with every scope, expiring after "
            "API_TOKEN_LOGIN_EXPIRY_DAYS; manage them under /auth/tokens/."
        ),
        request=s.TokenInputSerializer,
        responses={200: s.TokenOutputSerializer},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        # Per account too: guessing one user's password from many addresses is also limited.
        rate_limit_hit(request, "auth_account")
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise ValidationError({"non_field_errors": ["Wrong username or password."]})
        with transaction.atomic():
            created = token_login_create(user=user)
            user_login_record(user=user, request=request, via="api_token")
        return Response(
            s.TokenOutputSerializer(
                {"token": created.secret, "expires_at": created.token.expires_at}
            ).data
        )


class MeView(APIView):
    permission_classes = (IsAuthenticated, TokenScopePermission)

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
