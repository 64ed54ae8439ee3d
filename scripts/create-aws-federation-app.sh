#!/usr/bin/env bash
# Creates the Entra ID application whose Application ID URI is the audience (aud) of the tokens the
# Function App's managed identity presents to AWS STS (AssumeRoleWithWebIdentity).
#
# Bicep cannot create it offline (the Microsoft Graph Bicep extension needs the public registry), so run
# this once per tenant with rights to register applications (Application Developer or higher):
#
#   scripts/create-aws-federation-app.sh [identifier-uri] [display-name]
#   scripts/create-aws-federation-app.sh                      # api://<tenant-id>/sgbridge-aws
#
# The default identifier URI, api://<tenant-id>/sgbridge-aws, carries the tenant ID, a form Entra ID accepts in
# tenants whose app management policy requires a unique tenant identifier in new identifier URIs
# (uriAdditionWithoutUniqueTenantIdentifier); a bare api://sgbridge-aws is refused there. It is also the default of
# the Bicep parameter awsWebIdentityAudience and of pAudience (empty) in aws-bootstrap, so with the defaults nothing
# needs to be copied. (A tenant that allows only the api://<appId> forms, nonDefaultUriAddition, refuses this too:
# create the app there by hand, give it api://<appId>, and pass that value to both parameters.)
#
# Outputs the appId and the audience. Use the audience for
#   - the Bicep parameter awsWebIdentityAudience (app setting Aws__WebIdentityAudience), and
#   - pAudience of aws-bootstrap/sgbridge-member-role.yaml (OIDC provider ClientIdList, trust policy aud).
#
# The app keeps accessTokenAcceptedVersion unset (v1 tokens), so the issuer is https://sts.windows.net/<tenant>/,
# the URL of the AWS OIDC provider. No secret, no redirect URI and no API permission are needed: any managed
# identity in the tenant can get a token for the app, and the AWS trust policy pins sub to one identity.
# To restrict token issuance further, set appRoleAssignmentRequired on the service principal and assign the
# identity an app role (optional, not done here).
set -euo pipefail

command -v az >/dev/null || { echo "the Azure CLI (az) is required" >&2; exit 1; }

tenant_id="$(az account show --query tenantId -o tsv)"

identifier_uri="${1:-api://${tenant_id}/sgbridge-aws}"
display_name="${2:-SgBridge AWS federation}"

case "$identifier_uri" in
  api://*) ;;
  *) echo "identifier URI must start with api:// (got '$identifier_uri')" >&2; exit 2 ;;
esac

app_id="$(az ad app list --filter "identifierUris/any(u:u eq '${identifier_uri}')" --query '[0].appId' -o tsv)"
if [[ -z "$app_id" ]]; then
  app_id="$(az ad app create \
    --display-name "$display_name" \
    --sign-in-audience AzureADMyOrg \
    --identifier-uris "$identifier_uri" \
    --query appId -o tsv)"
  echo "created application $app_id" >&2
else
  echo "application $app_id already has $identifier_uri; reusing it" >&2
fi

# A service principal makes the app a resource the managed identity can request tokens for.
if [[ -z "$(az ad sp list --filter "appId eq '${app_id}'" --query '[0].id' -o tsv)" ]]; then
  az ad sp create --id "$app_id" --query id -o tsv >/dev/null
  echo "created service principal for $app_id" >&2
fi

cat <<JSON
{
  "appId": "${app_id}",
  "audience": "${identifier_uri}",
  "tenantId": "${tenant_id}",
  "issuer": "https://sts.windows.net/${tenant_id}/"
}
JSON
