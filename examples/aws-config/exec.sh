#!/bin/sh
# An app container's entrypoint under rolehop: the SDKs in the app get rolehop's credentials,
# whatever AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ECS injected. The task definition sets
# ROLEHOP_ENDPOINT (e.g. http://127.0.0.1:9911) and ROLEHOP_TOKEN (from the token secret) or
# ROLEHOP_TOKEN_FILE.
exec rolehop exec -- python3 "$(dirname "$0")/../app/whoami.py"
