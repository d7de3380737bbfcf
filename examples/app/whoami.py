"""A boto3 app with no rolehop in it: it asks STS who it is, with whatever credentials boto3's
default chain finds. Run it under `rolehop exec`, with AWS_PROFILE set to a credential_process
profile, or with AWS_EC2_METADATA_SERVICE_ENDPOINT pointing at rolehop's IMDS listener."""
import json

import boto3

identity = boto3.client("sts").get_caller_identity()
print(json.dumps({k: identity[k] for k in ("Account", "Arn", "UserId")}))
