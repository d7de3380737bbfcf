# An app image that carries rolehop's client side (`exec`, `credential-process`), for the app
# containers of task-definitions/fargate-sidecar.json. Build the rolehop image first:
#   docker build -f docker/Dockerfile -t rolehop .
#   docker build -f docker/app.Dockerfile -t my-app-with-rolehop .
ARG ROLEHOP_IMAGE=rolehop
FROM ${ROLEHOP_IMAGE} AS rolehop

FROM public.ecr.aws/aws-cli/aws-cli:2.17.0
COPY --from=rolehop /rolehop /usr/local/bin/rolehop
# credential_process profiles that read ROLEHOP_ENDPOINT and ROLEHOP_TOKEN from the environment.
COPY examples/aws-config/config-from-env /etc/rolehop/aws-config
COPY examples/app/whoami.py /app/whoami.py
