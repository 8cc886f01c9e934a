"""The public URLs of webhook triggers, included at the site root by config/urls.py."""

from django.urls import re_path

from executions.api.hooks import SignedWebhookView, TokenWebhookView

urlpatterns = [
    # Token triggers: the token is the last segment. A trailing slash is optional on both.
    re_path(
        r"^hooks/(?P<public_id>[A-Za-z0-9_-]{1,64})/(?P<token>[A-Za-z0-9_-]{1,128})/?$",
        TokenWebhookView.as_view(),
        name="webhook-token",
    ),
    # Signed triggers: the signature header is the credential.
    re_path(
        r"^hooks/(?P<public_id>[A-Za-z0-9_-]{1,64})/?$",
        SignedWebhookView.as_view(),
        name="webhook-signed",
    ),
]
