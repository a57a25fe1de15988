"""Vendor credentials: fields validated by the vendor's schema, secrets sealed at rest."""
