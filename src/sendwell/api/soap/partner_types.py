"""The partner API types Sendwell speaks, written in a small schema language.

This module is data: `sendwell.api.soap.types` parses `SCHEMA` at import time, and the codec and
the WSDL generator are both driven by the result. Names, base types and field order follow the
public partner API WSDL (`xsd:sequence` order); `tests/unit/test_soap_types.py` checks them.

Grammar (one declaration per block; indented lines continue the block above them):

    type Name                 a complex type          type Name(Base)   one derived from Base
    type Name abstract        never sent without an xsi:type naming a concrete subtype
    element Name              a message element (global element with an inline complex type)
    enum Name  v1 v2 ...      a string restricted to the listed values
    pattern Name  regex       a string restricted by a regular expression

Fields of a type, in sequence order, separated by whitespace:

    Name:type      optional, at most once (minOccurs=0)
    Name:type!     required (minOccurs=1)
    Name:type*     optional, repeated (maxOccurs=unbounded);   Name:type+  at least once
    Name:type~     nillable (may be sent as xsi:nil="true"); combines with the marks above
    Name{...}      an element with an inline (anonymous) type whose fields are listed between
                   the braces, e.g. `TrackingUsers{TrackingUser:TrackingUser*}`

Field types are either another declared name or one of the primitives string, int, long,
short, byte, boolean, double, decimal, dateTime, time.

Deliberate differences from the public WSDL (the type test lists them exactly):
- APIObject and FilterPart are marked abstract: every real client sends them with xsi:type.
- Attribute is the plain Name/Value/Compression sequence, not an APIObject extension.
- AccountUser is trimmed to its scalar fields (an ordered subset of the real ones), and
  SenderProfile's AutoForwardTriggeredSend/AutoReplyTriggeredSend name
  TriggeredSendDefinitionReference, a TriggeredSendDefinition trimmed the same way. They are
  only reachable through Owner.User and those two fields, which Sendwell never reads or writes,
  but suds builds the whole object graph below a type on every `factory.create`: with them
  complete, creating an EmailSendDefinition took 2.7 s (as with Marketing Cloud's own WSDL),
  trimmed it takes under 0.1 s. TriggeredSendDefinition itself is complete.
"""

SCHEMA = r"""
# ---- Base objects ---------------------------------------------------------------------------
type APIObject abstract
    Client:ClientID PartnerKey:string~ PartnerProperties:APIProperty* CreatedDate:dateTime
    ModifiedDate:dateTime~ ID:int ObjectID:string~ CustomerKey:string Owner:Owner
    CorrelationID:string ObjectState:string

type ClientID
    ClientID:int ID:int PartnerClientKey:string UserID:int PartnerUserKey:string CreatedBy:int
    ModifiedBy:int EnterpriseID:long CustomerKey:string

type APIProperty
    Name:string! Value:string!

type Owner
    Client:ClientID FromName:string FromAddress:string User:AccountUser

type Locale(APIObject)
    LocaleCode:string

type TimeZone(APIObject)
    Name:string

type InteractionBaseObject(APIObject)
    Name:string Description:string Keyword:string

type InteractionDefinition(InteractionBaseObject)
    InteractionObjectID:string

# ---- Send definitions -----------------------------------------------------------------------
type SendDefinition(InteractionDefinition)
    CategoryID:int SendClassification:SendClassification SenderProfile:SenderProfile
    FromName:string FromAddress:string DeliveryProfile:DeliveryProfile
    SourceAddressType:DeliveryProfileSourceAddressTypeEnum PrivateIP:PrivateIP
    DomainType:DeliveryProfileDomainTypeEnum PrivateDomain:PrivateDomain
    HeaderSalutationSource:SalutationSourceEnum HeaderContentArea:ContentArea
    FooterSalutationSource:SalutationSourceEnum FooterContentArea:ContentArea
    SuppressTracking:boolean IsSendLogging:boolean

type EmailSendDefinition(SendDefinition)
    SendDefinitionList:SendDefinitionList* Email:Email BccEmail:string AutoBccEmail:string
    TestEmailAddr:string EmailSubject:string DynamicEmailSubject:string IsMultipart:boolean
    IsWrapped:boolean SendLimit:int SendWindowOpen:time SendWindowClose:time
    SendWindowDelete:boolean DeduplicateByEmail:boolean ExclusionFilter:string
    TrackingUsers{TrackingUser:TrackingUser*} Additional:string CCEmail:string
    DeliveryScheduledTime:time MessageDeliveryType:MessageDeliveryTypeEnum
    IsSeedListSend:boolean TimeZone:TimeZone SeedListOccurance:int PreHeader:string
    ReplyToAddress:string ReplyToDisplayName:string

type TrackingUser(APIObject)
    IsActive:boolean EmployeeID:int

type TriggeredSendDefinition(SendDefinition)
    TriggeredSendType:TriggeredSendTypeEnum TriggeredSendStatus:TriggeredSendStatusEnum
    Email:Email List:List AutoAddSubscribers:boolean AutoUpdateSubscribers:boolean
    BatchInterval:int BccEmail:string EmailSubject:string DynamicEmailSubject:string
    IsMultipart:boolean IsWrapped:boolean AllowedSlots:short NewSlotTrigger:int SendLimit:int
    SendWindowOpen:time SendWindowClose:time SendWindowDelete:boolean RefreshContent:boolean
    ExclusionFilter:string Priority:string SendSourceCustomerKey:string
    ExclusionListCollection:TriggeredSendExclusionList* CCEmail:string
    SendSourceDataExtension:DataExtension IsAlwaysOn:boolean DisableOnEmailBuildError:boolean
    PreHeader:string ReplyToAddress:string ReplyToDisplayName:string

# What SenderProfile's auto-forward and auto-reply fields name: TriggeredSendDefinition trimmed
# to its scalar fields (see the module docstring: suds builds every object graph below a type).
type TriggeredSendDefinitionReference(SendDefinition)
    TriggeredSendType:TriggeredSendTypeEnum TriggeredSendStatus:TriggeredSendStatusEnum
    AutoAddSubscribers:boolean AutoUpdateSubscribers:boolean
    BatchInterval:int BccEmail:string EmailSubject:string DynamicEmailSubject:string
    IsMultipart:boolean IsWrapped:boolean AllowedSlots:short NewSlotTrigger:int SendLimit:int
    SendWindowOpen:time SendWindowClose:time SendWindowDelete:boolean RefreshContent:boolean
    ExclusionFilter:string Priority:string SendSourceCustomerKey:string CCEmail:string
    IsAlwaysOn:boolean DisableOnEmailBuildError:boolean
    PreHeader:string ReplyToAddress:string ReplyToDisplayName:string

type TriggeredSendExclusionList(AudienceItem)

type TriggeredSend(APIObject)
    TriggeredSendDefinition:TriggeredSendDefinition! Subscribers:Subscriber+
    Attributes:Attribute*

type TriggeredSendSummary(APIObject)
    TriggeredSendDefinition:TriggeredSendDefinition Sent:long NotSentDueToOptOut:long
    NotSentDueToUndeliverable:long Bounces:long Opens:long Clicks:long UniqueOpens:long
    UniqueClicks:long OptOuts:long SurveyResponses:long FTAFRequests:long FTAFEmailsSent:long
    FTAFOptIns:long Conversions:long UniqueConversions:long InProcess:long
    NotSentDueToError:long Queued:long

# ---- Audiences ------------------------------------------------------------------------------
type AudienceItem(APIObject)
    List:List SendDefinitionListType:SendDefinitionListTypeEnum CustomObjectID:string
    DataSourceTypeID:DataSourceTypeEnum

type SendDefinitionList(AudienceItem)
    FilterDefinition:FilterDefinition IsTestObject:boolean SalesForceObjectID:string
    Name:string Parameters{Parameter:APIProperty*}

type FilterDefinition(APIObject)
    Name:string Description:string DataSource:APIObject DataFilter:FilterPart CategoryID:int

# ---- Send classification, sender and delivery profiles ---------------------------------------
type SendClassification(APIObject)
    SendClassificationType:SendClassificationTypeEnum Name:string Description:string
    SenderProfile:SenderProfile DeliveryProfile:DeliveryProfile
    HonorPublicationListOptOutsForTransactionalSends:boolean SendPriority:SendPriorityEnum
    ArchiveEmail:boolean

type SenderProfile(APIObject)
    Name:string Description:string FromName:string FromAddress:string
    UseDefaultRMMRules:boolean AutoForwardToEmailAddress:string AutoForwardToName:string
    DirectForward:boolean AutoForwardTriggeredSend:TriggeredSendDefinitionReference
    AutoReply:boolean AutoReplyTriggeredSend:TriggeredSendDefinitionReference
    SenderHeaderEmailAddress:string
    SenderHeaderName:string DataRetentionPeriodLength:short
    DataRetentionPeriodUnitOfMeasure:RecurrenceTypeEnum ReplyManagementRuleSet:APIObject
    ReplyToAddress:string ReplyToDisplayName:string

type DeliveryProfile(APIObject)
    Name:string Description:string SourceAddressType:DeliveryProfileSourceAddressTypeEnum
    PrivateIP:PrivateIP DomainType:DeliveryProfileDomainTypeEnum PrivateDomain:PrivateDomain
    HeaderSalutationSource:SalutationSourceEnum HeaderContentArea:ContentArea
    FooterSalutationSource:SalutationSourceEnum FooterContentArea:ContentArea
    SubscriberLevelPrivateDomain:boolean SMIMESignatureCertificate:Certificate
    PrivateDomainSet:PrivateDomainSet

type PrivateIP(APIObject)
    Name:string Description:string IsActive:boolean OrdinalID:short IPAddress:string

type PrivateDomain(APIObject)

type PrivateDomainSet(APIObject)

type SecurityObject(APIObject)

type Certificate(SecurityObject)

# ---- Email content --------------------------------------------------------------------------
type Email(APIObject)
    Name:string Folder:string CategoryID:int HTMLBody:string TextBody:string
    ContentAreas:ContentArea* Subject:string IsActive:boolean IsHTMLPaste:boolean
    ClonedFromID:int Status:string EmailType:string CharacterSet:string
    HasDynamicSubjectLine:boolean ContentCheckStatus:string SyncTextWithHTML:boolean
    PreHeader:string IsApproved:boolean

type ContentArea(APIObject)
    Key:string Content:string IsBlank:boolean CategoryID:int Name:string Layout:LayoutType
    IsDynamicContent:boolean IsSurvey:boolean BackgroundColor:string BorderColor:string
    BorderWidth:int Cellpadding:int Cellspacing:int Width:string FontFamily:string
    HasFontSize:boolean IsLocked:boolean

# ---- Lists and subscribers ------------------------------------------------------------------
type List(APIObject)
    ListName:string Category:int Type:ListTypeEnum Description:string Subscribers:Subscriber*
    ListClassification:ListClassificationEnum AutomatedEmail:Email
    SendClassification:SendClassification

type Subscriber(APIObject)
    EmailAddress:string Attributes:Attribute* SubscriberKey:string UnsubscribedDate:dateTime
    Status:SubscriberStatus PartnerType:string EmailTypePreference:EmailType
    Lists:SubscriberList* GlobalUnsubscribeCategory:GlobalUnsubscribeCategory
    SubscriberTypeDefinition:SubscriberTypeDefinition Addresses{Address:SubscriberAddress*}
    PrimarySMSAddress:SMSAddress PrimarySMSPublicationStatus:SubscriberAddressStatus
    PrimaryEmailAddress:EmailAddress Locale:Locale

# Plain sequence, as in the newer WSDL copies and the generated C# code (not an APIObject).
type Attribute
    Name:string! Value:string! Compression:CompressionConfiguration

type CompressionConfiguration
    Type:CompressionType Encoding:CompressionEncoding

type SubscriberList(APIObject)
    Status:SubscriberStatus List:List Action:string Subscriber:Subscriber

type GlobalUnsubscribeCategory(APIObject)
    Name:string! IgnorableByPartners:boolean! Ignore:boolean!

type SubscriberTypeDefinition
    SubscriberType:string

type SubscriberAddress
    AddressType:string Address:string Statuses{Status:AddressStatus*}

type SMSAddress(SubscriberAddress)
    Carrier:string

type EmailAddress(SubscriberAddress)
    Type:EmailType

type AddressStatus
    Status:SubscriberAddressStatus

# ---- Data extensions ------------------------------------------------------------------------
type DataExtension(APIObject)
    Name:string Description:string IsSendable:boolean IsTestable:boolean
    SendableDataExtensionField:DataExtensionField SendableSubscriberField:Attribute
    Template:DataExtensionTemplate DataRetentionPeriodLength:int
    DataRetentionPeriodUnitOfMeasure:int RowBasedRetention:boolean
    ResetRetentionPeriodOnImport:boolean DeleteAtEndOfRetentionPeriod:boolean
    RetainUntil:string Fields{Field:DataExtensionField*}
    DataRetentionPeriod:DateTimeUnitOfMeasure CategoryID:long Status:string

type DataExtensionTemplate(APIObject)
    Name:string Description:string

type PropertyDefinition(APIObject)
    Name:string DataType:string ValueType:SoapType PropertyType:PropertyType
    IsCreatable:boolean IsUpdatable:boolean IsRetrievable:boolean IsQueryable:boolean
    IsFilterable:boolean IsPartnerProperty:boolean IsAccountProperty:boolean PartnerMap:string
    AttributeMaps:AttributeMap* Markups:APIProperty* Precision:int Scale:int Label:string
    Description:string DefaultValue:string MinLength:int MaxLength:int MinValue:string
    MaxValue:string IsRequired:boolean IsViewable:boolean IsEditable:boolean IsNillable:boolean
    IsRestrictedPicklist:boolean PicklistItems{PicklistItem:PicklistItem*} IsSendTime:boolean
    DisplayOrder:int References{Reference:APIObject*} RelationshipName:string Status:string
    IsContextSpecific:boolean

type AttributeMap(APIProperty)
    EntityName:string ColumnName:string ColumnNameMappedTo:string EntityNameMappedTo:string
    AdditionalData:APIProperty*

type PicklistItem
    IsDefaultValue:boolean Label:string Value:string

type DataExtensionField(PropertyDefinition)
    Ordinal:int IsPrimaryKey:boolean FieldType:DataExtensionFieldType
    DataExtension:DataExtension StorageType:DataExtensionFieldStorageType

type ObjectExtension(APIObject)
    Type:string Properties{Property:APIProperty*}

type DataExtensionObject(ObjectExtension)
    Name:string Keys{Key:APIProperty*}

# ---- Filters --------------------------------------------------------------------------------
type FilterPart abstract

type SimpleFilterPart(FilterPart)
    Property:string! SimpleOperator:SimpleOperators! Value:string* DateValue:dateTime*

type ComplexFilterPart(FilterPart)
    LeftOperand:FilterPart! LogicalOperator:LogicalOperators! RightOperand:FilterPart
    AdditionalOperands{Operand:FilterPart*}

# ---- Send jobs and tracking -----------------------------------------------------------------
type Send(APIObject)
    Email:Email List:List* SendDate:dateTime FromAddress:string FromName:string Duplicates:int
    InvalidAddresses:int ExistingUndeliverables:int ExistingUnsubscribes:int HardBounces:int
    SoftBounces:int OtherBounces:int ForwardedEmails:int UniqueClicks:int UniqueOpens:int
    NumberSent:int~ NumberDelivered:int~ Unsubscribes:int MissingAddresses:int Subject:string
    PreviewURL:string Links:Link* Events:TrackingEvent* SentDate:dateTime~ EmailName:string
    Status:string IsMultipart:boolean SendLimit:int SendWindowOpen:time SendWindowClose:time
    IsAlwaysOn:boolean Sources{Source:APIObject*} NumberTargeted:int NumberErrored:int
    NumberExcluded:int Additional:string BccEmail:string
    EmailSendDefinition:EmailSendDefinition SuppressionLists{SuppressionList:AudienceItem*}

type Link(APIObject)
    LastClicked:dateTime Alias:string TotalClicks:int UniqueClicks:int URL:string
    Subscribers:TrackingEvent* IDLong:long

type TrackingEvent(APIObject)
    SendID:int SubscriberKey:string EventDate:dateTime EventType:EventType
    TriggeredSendDefinitionObjectID:string BatchID:int

# ListID and SubscriberID are documented SentEvent properties (mc-apis "SentEvent") that the
# published WSDL leaves out; FuelSDK's samples retrieve them.
type SentEvent(TrackingEvent)
    ListID:int SubscriberID:int

type OpenEvent(TrackingEvent)

type ClickEvent(TrackingEvent)
    URLID:int URL:string URLIDLong:long

type BounceEvent(TrackingEvent)
    SMTPCode:string BounceCategory:string SMTPReason:string BounceType:string

type UnsubEvent(TrackingEvent)
    List:List IsMasterUnsubscribed:boolean

type NotSentEvent(TrackingEvent)

# ---- Accounts and users (BusinessUnit is retrieved by the .NET SDK at start-up) ----------------
type Account(APIObject)
    AccountType:AccountTypeEnum! ParentID:int BrandID:int PrivateLabelID:int
    ReportingParentID:int Name:string Email:string FromName:string BusinessName:string
    Phone:string Address:string Fax:string City:string State:string Zip:string Country:string
    IsActive:int IsTestAccount:boolean OrgID:int DBID:int ParentName:string CustomerID:long
    DeletedDate:dateTime EditionID:int Children:AccountDataItem*~ Subscription:Subscription~
    PrivateLabels:PrivateLabel*~ BusinessRules:BusinessRule*~ AccountUsers:AccountUser*~
    InheritAddress:boolean IsTrialAccount:boolean Locale:Locale ParentAccount:Account
    TimeZone:TimeZone Roles{Role:Role*} LanguageLocale:Locale

type BusinessUnit(Account)
    Description:string DefaultSendClassification:SendClassification DefaultHomePage:LandingPage
    SubscriberFilter:FilterPart MasterUnsubscribeBehavior:UnsubscribeBehaviorEnum

type AccountDataItem
    ChildAccountID:int BrandID:int~ PrivateLabelID:int~ AccountType:int~

type Subscription
    SubscriptionID:int~ EmailsPurchased:int! AccountsPurchased:int! AdvAccountsPurchased:int!
    LPAccountsPurchased:int! DOTOAccountsPurchased:int! BUAccountsPurchased:int!
    BeginDate:dateTime! EndDate:dateTime! Notes:string~ Period:string!
    NotificationTitle:string~ NotificationMessage:string~ NotificationFlag:string~
    NotificationExpDate:dateTime~ ForAccounting:string~ HasPurchasedEmails:boolean!
    ContractNumber:string ContractModifier:string IsRenewal:boolean NumberofEmails:long!

type PrivateLabel
    ID:int!~ Name:string! ColorPaletteXML:string LogoFile:string Delete:int! SetActive:boolean

type BusinessRule(APIObject)
    MemberBusinessRuleID:int! BusinessRuleID:int! Data:int! Quality:string! Name:string!
    Type:string Description:string IsViewable:boolean IsInheritedFromParent:boolean
    DisplayName:string! ProductCode:string!

# Trimmed: object-valued fields left out (see the module docstring).
type AccountUser(APIObject)
    AccountUserID:int~ UserID:string! Password:string Name:string! Email:string!
    MustChangePassword:boolean ActiveFlag:boolean ChallengePhrase:string ChallengeAnswer:string
    Delete:int! LastSuccessfulLogin:dateTime IsAPIUser:boolean
    NotificationEmailAddress:string IsLocked:boolean Unlock:boolean BusinessUnit:int
    DefaultBusinessUnit:int DefaultApplication:string

type Role(APIObject)
    Name:string Description:string IsPrivate:boolean IsSystemDefined:boolean
    ForceInheritance:boolean PermissionSets{PermissionSet:PermissionSet*}
    Permissions{Permission:Permission*}

type PermissionSet(APIObject)
    Name:string Description:string IsAllowed:boolean IsDenied:boolean
    PermissionSets{PermissionSet:PermissionSet*} Permissions{Permission:Permission*}

type Permission(APIObject)
    Name:string Description:string ObjectType:string Operation:string IsShareable:boolean
    IsAllowed:boolean IsDenied:boolean

type LandingPage(APIObject)

# ---- Folders, list members, more events; Configure, Execute, Extract (the SDKs' samples) -----
type DataFolder(APIObject)
    ParentFolder:DataFolder Name:string Description:string ContentType:string IsActive:boolean
    IsEditable:boolean AllowChildren:boolean

type ListSubscriber(APIObject)
    Status:SubscriberStatus ListID:int SubscriberKey:string

type SurveyEvent(TrackingEvent)
    Question:string Answer:string

type ForwardedEmailEvent(TrackingEvent)

type ForwardedEmailOptInEvent(TrackingEvent)
    OptInSubscriberKey:string

type ConfigureOptions(Options)

type ConfigureResult(Result)
    Object:APIObject!

element ConfigureRequestMsg
    Options:ConfigureOptions Action:string Configurations{Configuration:APIObject*}

element ConfigureResponseMsg
    Results{Result:ConfigureResult*} OverallStatus:string! OverallStatusMessage:string!
    RequestID:string

type ExecuteRequest
    Client:ClientID Name:string Parameters:APIProperty*

type ExecuteResponse
    StatusCode:string StatusMessage:string OrdinalID:int Results:APIProperty* ErrorCode:int

element ExecuteRequestMsg
    Requests:ExecuteRequest*

element ExecuteResponseMsg
    OverallStatus:string! RequestID:string Results:ExecuteResponse*

type ExtractOptions(Options)

type ExtractParameter(APIProperty)

# Without the Description/Definition choice of the public WSDL (the schema language has no
# xsd:choice; Sendwell answers every Extract "not supported" anyway).
type ExtractRequest(Request)
    Client:ClientID ID:string! Options:ExtractOptions! Parameters{Parameter:ExtractParameter*}

type ExtractResult(Result)
    Request:ExtractRequest

element ExtractRequestMsg
    Requests:ExtractRequest*

element ExtractResponseMsg
    OverallStatus:string! RequestID:string Results{ExtractResult:ExtractResult}*

# ---- Request options ------------------------------------------------------------------------
type Options abstract
    Client:ClientID SendResponseTo:AsyncResponse* SaveOptions{SaveOption:SaveOption*}
    Priority:byte ConversationID:string SequenceCode:int CallsInConversation:int
    ScheduledTime:dateTime RequestType:RequestType QueuePriority:Priority

type CreateOptions(Options)
    Container:ContainerID

type UpdateOptions(Options)
    Container:ContainerID Action:string

type DeleteOptions(Options)

type RetrieveOptions(Options)
    BatchSize:int IncludeObjects:boolean OnlyIncludeBase:boolean

type PerformOptions(Options)
    Explanation:string ProgramActivityInstanceID:instanceid

type SaveOption
    PropertyName:string! SaveAction:SaveAction!

type AsyncResponse
    ResponseType:AsyncResponseType! ResponseAddress:string! RespondWhen:RespondWhen
    IncludeResults:boolean IncludeObjects:boolean OnlyIncludeBase:boolean

type ContainerID
    APIObject:APIObject

# ---- Results --------------------------------------------------------------------------------
type Result
    StatusCode:string! StatusMessage:string! OrdinalID:int ErrorCode:int RequestID:string
    ConversationID:string OverallStatusCode:string RequestType:RequestType ResultType:string
    ResultDetailXML:string

type CreateResult(Result)
    NewID:int! NewObjectID:string PartnerKey:string Object:APIObject
    CreateResults:CreateResult* ParentPropertyName:string

type UpdateResult(Result)
    Object:APIObject! UpdateResults:UpdateResult* ParentPropertyName:string

type TriggeredSendCreateResult(CreateResult)
    SubscriberFailures:SubscriberResult*

type SubscriberResult
    Subscriber:Subscriber! ErrorCode:string! ErrorDescription:string Ordinal:int

type DeleteResult(Result)
    Object:APIObject!

type PerformResult(Result)
    Object:APIObject! Task:TaskResult! ProgramActivityInstanceId:instanceid

type TaskResult
    StatusCode:string! StatusMessage:string! OrdinalID:int ErrorCode:int ID:string
    InteractionObjectID:string

# ---- Retrieve and Describe ------------------------------------------------------------------
type Request abstract

type RetrieveRequest
    ClientIDs:ClientID* ObjectType:string! Properties:string* Filter:FilterPart
    RespondTo:AsyncResponse* PartnerProperties:APIProperty* ContinueRequest:string
    QueryAllAccounts:boolean RetrieveAllSinceLastBatch:boolean RepeatLastResult:boolean
    Retrieves{Request:Request*} Options:RetrieveOptions

type ObjectDefinitionRequest
    Client:ClientID ObjectType:string

type ArrayOfObjectDefinitionRequest
    ObjectDefinitionRequest:ObjectDefinitionRequest*~

type ObjectDefinition
    ObjectType:string Name:string IsCreatable:boolean IsUpdatable:boolean IsRetrievable:boolean
    IsQueryable:boolean IsReference:boolean ReferencedType:string IsPropertyCollection:string
    IsObjectCollection:boolean Properties:PropertyDefinition*
    ExtendedProperties{ExtendedProperty:PropertyDefinition*} ChildObjects:ObjectDefinition*

type VersionInfoResponse
    Version:string! VersionDate:dateTime! Notes:string! VersionHistory:VersionInfoResponse*

# ---- Message elements (the SOAP body of each request and response) ---------------------------
element CreateRequest
    Options:CreateOptions! Objects:APIObject+

element CreateResponse
    Results:CreateResult+ RequestID:string OverallStatus:string!

element UpdateRequest
    Options:UpdateOptions! Objects:APIObject+

element UpdateResponse
    Results:UpdateResult+ RequestID:string OverallStatus:string!

element DeleteRequest
    Options:DeleteOptions! Objects:APIObject+

element DeleteResponse
    Results:DeleteResult+ RequestID:string OverallStatus:string!

element RetrieveRequestMsg
    RetrieveRequest:RetrieveRequest!

element RetrieveResponseMsg
    OverallStatus:string! RequestID:string Results:APIObject*

element PerformRequestMsg
    Options:PerformOptions Action:string Definitions{Definition:APIObject*}

element PerformResponseMsg
    Results{Result:PerformResult*} OverallStatus:string! OverallStatusMessage:string!
    RequestID:string

element DefinitionRequestMsg
    DescribeRequests:ArrayOfObjectDefinitionRequest

element DefinitionResponseMsg
    ObjectDefinition:ObjectDefinition* RequestID:string

element VersionInfoRequestMsg
    IncludeVersionHistory:boolean!

element VersionInfoResponseMsg
    VersionInfo:VersionInfoResponse! RequestID:string

# ---- Schedule (the Schedule operation on an EmailSendDefinition) ------------------------------
type ScheduleDefinition(APIObject)
    Name:string Description:string Recurrence:Recurrence! RecurrenceType:RecurrenceTypeEnum
    RecurrenceRangeType:RecurrenceRangeTypeEnum StartDateTime:dateTime EndDateTime:dateTime
    Occurrences:int Keyword:string TimeZone:TimeZone

type Recurrence abstract

type MinutelyRecurrence(Recurrence)
    MinutelyRecurrencePatternType:MinutelyRecurrencePatternTypeEnum MinuteInterval:int

type HourlyRecurrence(Recurrence)
    HourlyRecurrencePatternType:HourlyRecurrencePatternTypeEnum HourInterval:int

type DailyRecurrence(Recurrence)
    DailyRecurrencePatternType:DailyRecurrencePatternTypeEnum DayInterval:int

type WeeklyRecurrence(Recurrence)
    WeeklyRecurrencePatternType:WeeklyRecurrencePatternTypeEnum WeekInterval:int
    Sunday:boolean Monday:boolean Tuesday:boolean Wednesday:boolean Thursday:boolean
    Friday:boolean Saturday:boolean

type MonthlyRecurrence(Recurrence)
    MonthlyRecurrencePatternType:MonthlyRecurrencePatternTypeEnum MonthlyInterval:int
    ScheduledDay:int ScheduledWeek:WeekOfMonthEnum ScheduledDayOfWeek:DayOfWeekEnum

type YearlyRecurrence(Recurrence)
    YearlyRecurrencePatternType:YearlyRecurrencePatternTypeEnum ScheduledDay:int
    ScheduledWeek:WeekOfMonthEnum ScheduledMonth:MonthOfYearEnum
    ScheduledDayOfWeek:DayOfWeekEnum

type ScheduleOptions(Options)

type ScheduleResult(Result)
    Object:ScheduleDefinition! Task:TaskResult!

element ScheduleRequestMsg
    Options:ScheduleOptions Action:string Schedule:ScheduleDefinition
    Interactions{Interaction:APIObject*}

element ScheduleResponseMsg
    Results{Result:ScheduleResult*} OverallStatus:string! OverallStatusMessage:string!
    RequestID:string

enum RecurrenceRangeTypeEnum  EndAfter EndOn
enum MinutelyRecurrencePatternTypeEnum  Interval
enum HourlyRecurrencePatternTypeEnum  Interval
enum DailyRecurrencePatternTypeEnum  Interval EveryWeekDay
enum WeeklyRecurrencePatternTypeEnum  ByDay
enum MonthlyRecurrencePatternTypeEnum  ByDay ByWeek
enum WeekOfMonthEnum  first second third fourth last
enum DayOfWeekEnum  Sunday Monday Tuesday Wednesday Thursday Friday Saturday
enum YearlyRecurrencePatternTypeEnum  ByDay ByWeek ByMonth
enum MonthOfYearEnum  January February March April May June July August September October
    November December

# ---- Enumerations and restricted strings -----------------------------------------------------
enum SendClassificationTypeEnum  Operational Marketing
enum SendPriorityEnum  Burst Normal Low
enum DeliveryProfileSourceAddressTypeEnum  DefaultPrivateIPAddress CustomPrivateIPAddress
enum DeliveryProfileDomainTypeEnum  DefaultDomain CustomDomain
enum SalutationSourceEnum  Default ContentLibrary None
enum RecurrenceTypeEnum  Secondly Minutely Hourly Daily Weekly Monthly Yearly
enum MessageDeliveryTypeEnum  Standard DelayedDeliveryByMTAQueue DelayedDeliveryByOMMQueue
enum SendDefinitionListTypeEnum  SourceList ExclusionList DomainExclusion OptOutList
enum DataSourceTypeEnum  List CustomObject DomainExclusion SalesForceReport SalesForceCampaign
    FilterDefinition OptOutList
enum TriggeredSendTypeEnum  Continuous Batched Scheduled
enum TriggeredSendStatusEnum  New Inactive Active Canceled Deleted Moved
enum LayoutType  HTMLWrapped RawText SMS
enum ListTypeEnum  Public Private SalesForce GlobalUnsubscribe Master
enum ListClassificationEnum  ExactTargetList PublicationList SuppressionList
enum SubscriberStatus  Active Bounced Held Unsubscribed Deleted
enum EmailType  Text HTML
enum CompressionType  gzip
enum CompressionEncoding  base64
enum SubscriberAddressStatus  OptedIn OptedOut InActive
enum DataExtensionFieldType  Text Number Date Boolean EmailAddress Phone Decimal Locale
    Base16Encrypted Base16EncryptedEmail
enum DataExtensionFieldStorageType  Unspecified Plain Obfuscated Encrypted
enum DateTimeUnitOfMeasure  Days Weeks Months Years
enum SoapType  xsd:string xsd:boolean xsd:double xsd:dateTime
enum PropertyType  string boolean double datetime
enum SimpleOperators  equals notEquals greaterThan lessThan isNull isNotNull greaterThanOrEqual
    lessThanOrEqual between IN like existsInString existsInStringAsAWord notExistsInString
    beginsWith endsWith contains notContains isAnniversary isNotAnniversary
    greaterThanAnniversary lessThanAnniversary
enum LogicalOperators  OR AND
enum EventType  Open Click HardBounce SoftBounce OtherBounce Unsubscribe Sent NotSent Survey
    ForwardedEmail ForwardedEmailOptIn DeliveredEvent
enum AccountTypeEnum  None EXACTTARGET PRO_CONNECT CHANNEL_CONNECT CONNECT PRO_CONNECT_CLIENT
    LP_MEMBER DOTO_MEMBER ENTERPRISE_2 BUSINESS_UNIT
enum UnsubscribeBehaviorEnum  ENTIRE_ENTERPRISE BUSINESS_UNIT_ONLY
enum AsyncResponseType  None email FTP HTTPPost
enum RespondWhen  Never OnError Always OnConversationError OnConversationComplete OnCallComplete
enum RequestType  Synchronous Asynchronous
enum Priority  Low Medium High
enum SaveAction  AddOnly Default Nothing UpdateAdd UpdateOnly Delete
pattern instanceid  \{[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}\}
"""

# SOAP operation -> (request element, response element, WSDL message name stem).
OPERATIONS: dict[str, tuple[str, str, str]] = {
    "Create": ("CreateRequest", "CreateResponse", "create"),
    "Retrieve": ("RetrieveRequestMsg", "RetrieveResponseMsg", "retrieve"),
    "Update": ("UpdateRequest", "UpdateResponse", "update"),
    "Delete": ("DeleteRequest", "DeleteResponse", "delete"),
    "Describe": ("DefinitionRequestMsg", "DefinitionResponseMsg", "definition"),
    "Perform": ("PerformRequestMsg", "PerformResponseMsg", "perform"),
    "VersionInfo": ("VersionInfoRequestMsg", "VersionInfoResponseMsg", "versionInfo"),
    "Schedule": ("ScheduleRequestMsg", "ScheduleResponseMsg", "schedule"),
    # Profile attributes, LogUnsubEvent, and Extract answered "not supported".
    "Configure": ("ConfigureRequestMsg", "ConfigureResponseMsg", "configure"),
    "Execute": ("ExecuteRequestMsg", "ExecuteResponseMsg", "execute"),
    "Extract": ("ExtractRequestMsg", "ExtractResponseMsg", "extract"),
}
