#!/usr/bin/env bash
# Deploy every function of one environment (dev, tst or prd) as Cloud Functions gen2.
#   infra/deploy/deploy.sh dev            deploy (bundles must exist: `make bundles`)
#   DRY_RUN=1 infra/deploy/deploy.sh dev  print the gcloud commands only
# Public functions do their own authentication (session bearer, OAuth state); the worker and the
# token refresh only accept their Cloud Tasks / Cloud Scheduler service accounts (IAM invoker).
set -euo pipefail
cd "$(dirname "$0")/../.."
ENV_NAME=${1:?usage: deploy.sh dev|tst|prd}
case "$ENV_NAME" in dev|tst|prd) ;; *) echo "unknown environment: $ENV_NAME" >&2; exit 2;; esac
ENV_FILE=infra/envs/$ENV_NAME.yaml
value() { sed -n "s/^$1: *//p" "$ENV_FILE" | tr -d '"'; }
PROJECT=$(value GCP_PROJECT)
REGION=$(value GCP_LOCATION)
RUNTIME_SA=carpulse-functions@$PROJECT.iam.gserviceaccount.com
run() { if [ "${DRY_RUN:-}" = 1 ]; then printf '%q ' "$@"; echo; else "$@"; fi; }

# function      public?  memory  timeout
FUNCTIONS="
oauth_initiate  public   256Mi   30s
oauth_callback  public   256Mi   60s
public_key      public   128Mi   10s
reports         public   512Mi   60s
report_worker   private  1Gi     540s
token_refresh   private  256Mi   300s
"
while read -r name access memory timeout; do
  [ -n "$name" ] || continue
  if [ ! -d "build/functions/$name" ] && [ "${DRY_RUN:-}" != 1 ]; then
    echo "missing bundle build/functions/$name: run make bundles" >&2; exit 1
  fi
  auth=--allow-unauthenticated
  [ "$access" = private ] && auth=--no-allow-unauthenticated
  run gcloud functions deploy "carpulse-$ENV_NAME-${name//_/-}" \
    --project="$PROJECT" --region="$REGION" --gen2 --runtime=python312 \
    --source="build/functions/$name" --entry-point="$name" --trigger-http "$auth" \
    --service-account="$RUNTIME_SA" --memory="$memory" --timeout="$timeout" \
    --env-vars-file="$ENV_FILE" --quiet
done <<< "$FUNCTIONS"
