"""A Python program: the same three tokens as examples/yaml and examples/go, through the
generated Python SDK (sdk/python, package pulumi_commvault_tokens) and the provider plugin
pulumi-resource-commvault."""

import pulumi
import pulumi_commvault_tokens as commvault

# All (the default scope), with an allow list and a rolling lifetime: extended in place (same id,
# same secret) whenever less than a third of 90 days is left. A new secret every 30 days; the old
# one keeps working for 7 more.
ci = commvault.AccessToken(
    "ci",
    name="python-ci",
    ip_allowlist=["10.20.0.0/16", "2001:db8:20::/48"],
    renewable_for="90d",
    rotation=commvault.AccessTokenRotationArgs(every_days=30, overlap_days=7),
)

# Custom: only these API paths; owned by a service account, managed by the admin.
reports = commvault.AccessToken(
    "reports",
    name="python-reports",
    scope="Custom",
    api_endpoints=["/client", "/v4/servergroup"],
    user_name="svc-reporting",
)

# Microsoft SCIM: a fixed expiry; its scope can never change in place.
scim = commvault.AccessToken(
    "scim",
    name="python-scim",
    scope="MicrosoftSCIM",
    expires_in="30d",
)

pulumi.export("ciTokenId", ci.token_id)
pulumi.export("ciRenewableUntil", ci.renewable_until)
# Secret outputs stay secret: `pulumi stack output --show-secrets ciSecret` prints it.
pulumi.export("ciSecret", ci.access_token)
