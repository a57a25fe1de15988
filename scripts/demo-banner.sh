#!/bin/sh
# Printed by `make run`: the admin console's URL, the demo API key and curl examples that work against it.
BASE="$1"
KEY="$2"
cat <<BANNER

  smshooks is starting on $BASE  (SQLite database in ${SMSHOOKS_DATA_DIR:-var}/)

  Admin console:  $BASE/admin/
  Sign in with the demo API key (organisation "demo"):
    $KEY

  Or try the API from another shell:

    export SMSHOOKS_KEY=$KEY

    # 1. a Twilio credential (the auth token is stored encrypted and never shown again)
    CRED=\$(curl -s -X POST $BASE/api/v1/credentials \\
      -H "Authorization: Bearer \$SMSHOOKS_KEY" -H 'Content-Type: application/json' \\
      -d '{"name": "twilio-main", "vendor": "twilio", "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "your-auth-token"}' \\
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

    # 2. an inbound webhook for it: paste the "url" it answers into the Twilio console
    curl -s -X POST $BASE/api/v1/webhooks \\
      -H "Authorization: Bearer \$SMSHOOKS_KEY" -H 'Content-Type: application/json' \\
      -d '{"name": "inbound", "vendor": "twilio", "type": "inbound", "credentials_id": "'\$CRED'", "sender_number": "+14155550100"}'

    # 3. what arrived
    curl -s $BASE/api/v1/webhooks -H "Authorization: Bearer \$SMSHOOKS_KEY"
    curl -s $BASE/api/v1/inbound-messages -H "Authorization: Bearer \$SMSHOOKS_KEY"

  API reference: $BASE/api/v1/docs (the OpenAPI document: $BASE/api/v1/openapi.json)

BANNER
