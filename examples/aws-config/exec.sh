#!/bin/sh
# The app's entrypoint under rolehop: the SDKs in `python app.py` get rolehop's credentials,
# whatever AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ECS injected.
exec rolehop exec --endpoint http://127.0.0.1:9911 --token-file /rolehop/token -- python examples/app/whoami.py
