"""Who may call the admin API: API keys (``api_keys``), what each scope allows (``scopes``)
and the brake on clients that keep presenting wrong keys (``throttle``). Framework-free."""
