"""Salesforce audiences for the REST Send API: campaigns, reports, contacts and leads.

``audiences.py`` says what an audience entry is, ``connector.py`` picks the account's connector;
``local.py`` resolves entries from the local CRM store that ``crm_import.py`` fills from CSV
files; ``api.py`` resolves them from a real Salesforce org through its REST API.
"""

from sendwell.services.salesforce.audiences import (
    AUDIENCE_TYPES,
    AudienceConnector,
    AudienceRef,
    parse_audience,
)
from sendwell.services.salesforce.connector import connector_for

__all__ = ["AUDIENCE_TYPES", "AudienceConnector", "AudienceRef", "connector_for", "parse_audience"]
