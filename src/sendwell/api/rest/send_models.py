"""Request and response models of the REST Send API, for validation and the OpenAPI docs.

Keys are matched case-insensitively (clients write ``isError``/``IsError`` and one SDK lower-cases
whole URLs); values keep loose types where Marketing Cloud's own examples disagree with its
schema (``SendClassificationId`` as a number or a string). Required fields are checked by the
service, so that the error lists every missing field in Marketing Cloud's words.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ALIASES = {"suppressfromreports": "SupressFromReports", "seedlistoccurrence": "SeedListOccurance"}


class CaseInsensitive(BaseModel):
    """Accept any capitalisation of the field names."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _canonical_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = {name.lower(): name for name in cls.model_fields}
        out: dict[str, Any] = {}
        for key, value in data.items():
            lowered = str(key).lower()
            out[names.get(lowered) or ALIASES.get(lowered) or key] = value
        return out


class AudienceEntry(CaseInsensitive):
    Type: str | None = Field(
        None, description="Campaign, Report, Contact, Lead (or SalesforceDataExtension)"
    )
    Name: str | None = Field(None, description="The report or campaign name")
    Id: str | None = Field(None, description="The Salesforce record id (15 or 18 characters)")


class SeedListOptions(CaseInsensitive):
    IsSeedListSend: bool | None = None
    SeedListOccurance: int | None = None


class ThrottlingOptions(CaseInsensitive):
    ThrottleOpens: str | None = Field(None, description="Start of the daily delivery window")
    ThrottleCloses: str | None = Field(None, description="End of the daily delivery window")
    ThrottleLimit: int | None = Field(None, description="At most this many messages per period")


class EmailDefinitionBody(CaseInsensitive):
    Name: str | None = None
    ExternalKey: str | None = None
    Description: str | None = None
    EmailId: int | str | None = Field(None, description="Numeric ID of the email (SOAP Email.ID)")
    EmailSubject: str | None = None
    SendClassificationId: int | str | None = Field(None, description="SOAP SendClassification.ID")
    OverrideSenderProfileId: int | str | None = None
    OverrideDeliveryProfileId: int | str | None = None
    Bcc: str | None = None
    CC: str | None = None
    IsMultipartMIME: bool | None = None
    UseSendLogging: bool | None = None
    SupressFromReports: bool | None = None
    RequestIntegratedTracking: bool | None = None
    TrackingFolderId: int | None = None
    DedupeByEmail: bool | None = None
    SeedList: SeedListOptions | None = None
    SendThrottling: ThrottlingOptions | None = None
    Targets: list[AudienceEntry] | None = None
    Exclusions: list[AudienceEntry] | None = None

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ScheduleOptions(CaseInsensitive):
    StartImmediately: bool | None = None
    StartDateTime: str | None = Field(
        None, description="ISO 8601; without an offset it is Marketing Cloud system time (UTC-6)"
    )
    AllRecipientsOptedIn: bool | None = Field(None, description="Must be true")


class CreateDefinitionRequest(CaseInsensitive):
    EmailDefinition: EmailDefinitionBody | None = None
    Schedule: ScheduleOptions | None = None


class UpdateDefinitionRequest(CaseInsensitive):
    EmailDefinition: EmailDefinitionBody | None = None


class ScheduleRequest(CaseInsensitive):
    Schedule: ScheduleOptions | None = None


class SearchCriteria(CaseInsensitive):
    Operation: str | None = Field(None, description='"and" or "or" (default "or")')
    Name: str | None = None
    SubscriberListId: str | None = None


class SearchRequest(CaseInsensitive):
    Criteria: SearchCriteria | None = None


# --- replies (for the docs; the routes build them as dicts) -----------------------------------


class Result(BaseModel):
    IsError: bool = False


class ErrorResult(BaseModel):
    IsError: bool = True
    Message: str
    message: str
    errorcode: int
    documentation: str = ""


class CreateDefinitionReply(Result):
    DefinitionId: str
    ExternalKey: str
    InstanceId: str | None = None


class DefinitionReply(Result):
    EmailDefinition: dict[str, Any]


class DefinitionItem(BaseModel):
    DefinitionId: str
    ExternalKey: str
    Name: str


class SearchReply(Result):
    Count: int
    Page: int
    PageSize: int
    Definitions: list[DefinitionItem]


class ScheduleReply(Result):
    InstanceId: str


class Instance(BaseModel):
    InstanceId: str
    DefinitionId: str
    Status: str = Field(
        description="Scheduled, Processing, Sending, Cancel Pending, Complete, Canceled or Error"
    )
    SyncId: int
    JobId: int = Field(description="The SOAP Send ID (JobID); -1 until the send job exists")
    CreatedDate: str | None = None
    ScheduledDate: str | None = None
    StartDate: str | None = None
    CompletedDate: str | None = None
    NumberTargeted: int = 0
    NumberExcluded: int = 0
    Duplicates: int = 0
    ExistingUnsubscribes: int = 0
    InvalidAddresses: int = 0
    NumberSent: int = 0
    NumberErrored: int = 0


class InstanceReply(Instance):
    IsError: bool = False
    isError: bool = False


class InstancesReply(Result):
    Count: int
    Page: int
    PageSize: int
    Instances: list[Instance]


class CancelReply(Result):
    Status: str = "Cancel Pending"
