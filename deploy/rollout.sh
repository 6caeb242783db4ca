#!/usr/bin/env bash
# Rolls the jobs container to a new image tag and back to the previous one when it does not get healthy.
# Run on the VPS in the directory holding compose.yml and .env (deploy.yml pipes it over SSH):
#   bash rollout.sh <image tag>
# Exit 0: the new tag runs and answers /health. Exit 1: it did not; the previous tag runs again.
set -euo pipefail

new_tag=${1:?usage: rollout.sh <image tag>}
cd "${AUTOECOM_DIR:-/opt/autoecom}"
health_timeout=${HEALTH_TIMEOUT_SECONDS:-180}
poll_seconds=${HEALTH_POLL_SECONDS:-3}

current_tag() { sed -n 's/^JOBS_IMAGE_TAG=//p' .env; }
set_tag() {
  if grep -q '^JOBS_IMAGE_TAG=' .env; then sed -i "s/^JOBS_IMAGE_TAG=.*/JOBS_IMAGE_TAG=$1/" .env; else echo "JOBS_IMAGE_TAG=$1" >>.env; fi
}

# Healthy = Docker's healthcheck says so and /health answers 200 (Postgres and Redis reachable).
# A container that exits at start (a refused jobs.env) never gets there and times out.
wait_healthy() {
  local deadline=$((SECONDS + health_timeout)) id status
  while ((SECONDS < deadline)); do
    id=$(docker compose ps -q jobs)
    status=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo missing)
    if [[ $status == healthy ]] && curl -fsS --max-time 5 http://127.0.0.1:8788/health >/dev/null; then return 0; fi
    if [[ $status == unhealthy ]]; then return 1; fi
    sleep "$poll_seconds"
  done
  return 1
}

previous=$(current_tag)
echo "rollout: ${previous:-<none>} -> $new_tag"
# Pull first: a missing image fails here, before anything running is touched.
JOBS_IMAGE_TAG=$new_tag docker compose pull jobs
set_tag "$new_tag"
docker compose up -d --no-deps jobs
if wait_healthy; then
  echo "rollout: $new_tag is healthy"
  exit 0
fi

echo "rollout: $new_tag did not become healthy within ${health_timeout}s" >&2
docker compose logs --no-color --tail 50 jobs >&2 || true
if [[ -z $previous ]]; then
  echo "rollout: no previous tag to roll back to" >&2
  exit 1
fi
echo "rollout: rolling back to $previous" >&2
set_tag "$previous"
docker compose up -d --no-deps jobs
if wait_healthy; then echo "rollout: back on $previous, healthy" >&2; else echo "rollout: $previous is not healthy either: see docs/operations.md#jobs-container-down" >&2; fi
exit 1
