#!/usr/bin/env bash
# Manages the intake's own function keys: keys of the ReceiveAwsEvent function only (not host keys, which open every
# function), that EventBridge sends in x-functions-key. The central bus stack (aws-bootstrap/sgbridge-central-bus.yaml,
# pFunctionKey) is the only place on the AWS side that holds one.
#
#   scripts/intake-function-key.sh create [key-name]   # prints the new key's value on stdout, nothing else
#   scripts/intake-function-key.sh list                # key names only, never values
#   scripts/intake-function-key.sh delete <key-name>
#
# Resource group and app: AZURE_RESOURCE_GROUP and AZURE_FUNCTION_APP_NAME (azd sets both; with az, take them from
# the deployment outputs). Default key name: eventbridge-<UTC timestamp>, so a rotation creates a second key.
#
# Why a script and not Bicep (Microsoft.Web/sites/functions/keys): ARM passes that PUT to the Functions host's key
# API, which only knows functions the host has loaded from deployed code. `azd up` provisions before it deploys, and
# `az deployment sub create` precedes the code publish, so on a first deployment ReceiveAwsEvent does not exist yet
# and the key cannot be created. A key made by the template would also have to be read back (listKeys) to reach
# AWS, putting a secret in the deployment's outputs. Run this after the code is deployed.
#
# Rotation, with both keys valid during the rollout (docs/deploy.md):
#   new=$(scripts/intake-function-key.sh create)                      # 1. second key; the old one still works
#   aws cloudformation deploy ... --parameter-overrides pFunctionKey="$new"   # 2. central bus stack: connection secret
#   scripts/intake-function-key.sh delete eventbridge-<old>           # 3. once EventBridge sends the new key
set -euo pipefail

function_name=ReceiveAwsEvent

usage() {
  sed -n '6,8p' "$0" | sed 's/^# *//' >&2
  exit 2
}

command -v az >/dev/null || { echo "the Azure CLI (az) is required" >&2; exit 1; }
: "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP (Bicep output AZURE_RESOURCE_GROUP)}"
: "${AZURE_FUNCTION_APP_NAME:?set AZURE_FUNCTION_APP_NAME (Bicep output AZURE_FUNCTION_APP_NAME)}"

target=(--resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" --function-name "$function_name")

case "${1:-}" in
  create)
    key_name="${2:-eventbridge-$(date -u +%Y%m%d%H%M%S)}"
    [[ "$key_name" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || { echo "invalid key name '$key_name'" >&2; exit 2; }
    # No --key-value: the host generates the key.
    value="$(az functionapp function keys set "${target[@]}" --key-name "$key_name" --query value -o tsv)"
    [[ -n "$value" ]] || { echo "az returned no key value for $key_name" >&2; exit 1; }
    echo "created function key '$key_name' on $AZURE_FUNCTION_APP_NAME/$function_name" >&2
    printf '%s\n' "$value"
    ;;
  list)
    az functionapp function keys list "${target[@]}" --query 'keys(@)' -o tsv
    ;;
  delete)
    [[ -n "${2:-}" ]] || usage
    az functionapp function keys delete "${target[@]}" --key-name "$2"
    echo "deleted function key '$2' from $AZURE_FUNCTION_APP_NAME/$function_name" >&2
    ;;
  *)
    usage
    ;;
esac
