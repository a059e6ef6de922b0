"""Salesforce audiences for the REST Send API: campaigns, reports, contacts and leads.

``connector.py`` says what an audience entry is and picks the account's connector;
``local.py`` resolves entries from the local CRM store that ``crm_import.py`` fills from CSV
files; ``api.py`` resolves them from a real Salesforce org through its REST API.
"""

from sendwell.services.salesforce.connector import (
    AUDIENCE_TYPES,
    AudienceConnector,
    AudienceRef,
    connector_for,
    parse_audience,
)

__all__ = ["AUDIENCE_TYPES", "AudienceConnector", "AudienceRef", "connector_for", "parse_audience"]
