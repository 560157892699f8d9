#!/usr/bin/env bash
# One-time (idempotent) provisioning of an environment's Google resources, then the per-deploy
# pieces that reference function URLs. Review with DRY_RUN=1 first.
#   infra/deploy/provision.sh dev
set -euo pipefail
cd "$(dirname "$0")/../.."
ENV_NAME=${1:?usage: provision.sh dev|tst|prd}
ENV_FILE=infra/envs/$ENV_NAME.yaml
value() { sed -n "s/^$1: *//p" "$ENV_FILE" | tr -d '"'; }
PROJECT=$(value GCP_PROJECT); REGION=$(value GCP_LOCATION); BUCKET=$(value REPORTS_BUCKET); QUEUE=$(value TASKS_QUEUE)
ATTEMPTS=$(value TASK_MAX_ATTEMPTS)
run() { if [ "${DRY_RUN:-}" = 1 ]; then printf '%q ' "$@"; echo; else "$@" || true; fi; }

for api in cloudfunctions run cloudbuild cloudtasks cloudscheduler firestore secretmanager storage iamcredentials; do
  run gcloud services enable "$api.googleapis.com" --project="$PROJECT"
done
for sa in carpulse-functions carpulse-tasks carpulse-scheduler; do
  run gcloud iam service-accounts create "$sa" --project="$PROJECT"
done
FUNCTIONS_SA=carpulse-functions@$PROJECT.iam.gserviceaccount.com
for role in roles/datastore.user roles/secretmanager.secretAccessor roles/cloudtasks.enqueuer; do
  run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$FUNCTIONS_SA" --role="$role"
done
# Signed URLs are signed through IAM signBlob by the functions' own identity.
run gcloud iam service-accounts add-iam-policy-binding "$FUNCTIONS_SA" --project="$PROJECT" \
  --member="serviceAccount:$FUNCTIONS_SA" --role=roles/iam.serviceAccountTokenCreator
# The functions enqueue tasks that run as the tasks identity.
run gcloud iam service-accounts add-iam-policy-binding "carpulse-tasks@$PROJECT.iam.gserviceaccount.com" \
  --project="$PROJECT" --member="serviceAccount:$FUNCTIONS_SA" --role=roles/iam.serviceAccountUser

run gcloud firestore databases create --project="$PROJECT" --location="$REGION"
run gcloud storage buckets create "gs://$BUCKET" --project="$PROJECT" --location="$REGION" \
  --uniform-bucket-level-access --public-access-prevention
run gcloud storage buckets update "gs://$BUCKET" --lifecycle-file=infra/deploy/bucket-lifecycle.json
run gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" \
  --member="serviceAccount:$FUNCTIONS_SA" --role=roles/storage.objectAdmin
run gcloud tasks queues create "$QUEUE" --project="$PROJECT" --location="$REGION" \
  --max-attempts="$ATTEMPTS" --min-backoff=5s --max-backoff=300s --max-concurrent-dispatches=20
for secret in tesla-client-secret token-encryption-key tesla-private-key; do
  run gcloud secrets create "$secret" --project="$PROJECT" --replication-policy=automatic
done
echo "# add secret values: make keys ENV=$ENV_NAME (prints the commands)" >&2

# After the first deploy: who may invoke the private functions, and the scheduler job.
run gcloud functions add-invoker-policy-binding "carpulse-$ENV_NAME-report-worker" --project="$PROJECT" \
  --region="$REGION" --member="serviceAccount:carpulse-tasks@$PROJECT.iam.gserviceaccount.com"
run gcloud functions add-invoker-policy-binding "carpulse-$ENV_NAME-token-refresh" --project="$PROJECT" \
  --region="$REGION" --member="serviceAccount:carpulse-scheduler@$PROJECT.iam.gserviceaccount.com"
run gcloud scheduler jobs create http "carpulse-$ENV_NAME-token-refresh" --project="$PROJECT" --location="$REGION" \
  --schedule="*/30 * * * *" --http-method=POST \
  --uri="https://$REGION-$PROJECT.cloudfunctions.net/carpulse-$ENV_NAME-token-refresh" \
  --oidc-service-account-email="carpulse-scheduler@$PROJECT.iam.gserviceaccount.com"
