"""The functions of Marketing Cloud's reference that Sendwell added, case by case: strings and
rowsets, dates, encoding and encryption, utilities. Inputs, data extensions and the expected
output or located error, as in ``test_ampscript_cases``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.unit.ampscript_support import Case, Keys, check, environment

from sendwell.domain.ampscript import compile_content

XML = (
    "<root><Flight origin='IND' dest='NYC'>100.00</Flight>"
    "<Flight origin='IND' dest='LAX' carrier='UAL'>200.00</Flight>"
    "<Flight origin='IND' dest='SEA'>500<Bag>25</Bag></Flight></root>"
)
JSON = '{"items": [{"sku": "A1", "qty": 2, "tags": ["x"]}, {"sku": "B2", "qty": null}], "n": 7}'
DATA = {"Products": [{"SKU": "A1"}, {"SKU": "B2"}, {"SKU": "C3"}], "Empty DE": []}
KEYS = Keys({"pw-key": "correct horse", "salt-key": "0102030405060708", "iv-key": "00" * 16})


def C(id: str, template: str, expected: str | None = None, **kw: Any) -> Case:
    kw.setdefault("attrs", {"xml": XML, "json": JSON})
    kw.setdefault("data", DATA)
    return Case(id, template, expected, **kw)


def E(id: str, template: str, line: int, column: int, words: str) -> Case:
    return C(id, template, error=(line, column, words))


CASES = [
    # --- Strings ---
    C(
        "regexmatch",
        "[%%=RegExMatch('12345', '^\\d+$', 0)=%%][%%=RegExMatch('abc1', '^\\d+$', 0)=%%]",
        "[12345][]",
    ),
    C("regexmatch-group", "%%=RegExMatch('Order 77-B', '(\\d+)-(\\w)', 2)=%%", "B"),
    C("regexmatch-named-group", "%%=RegExMatch('id=42', 'id=(?<num>\\d+)', 'num')=%%", "42"),
    C("regexmatch-ignorecase", "%%=RegExMatch('ABC', '^[a-z]+$', 0, 'IgnoreCase')=%%", "ABC"),
    C("regexmatch-unknown-group", "[%%=RegExMatch('abc', 'b', 3)=%%]", "[]"),
    E("regexmatch-bad-pattern", "%%=RegExMatch('abc', '(', 0)=%%", 1, 4, "not valid"),
    C(
        "replacelist",
        "%%=ReplaceList('red/orange,green/BLUE', '|', '/', ',')=%%",
        "red|orange|green|BLUE",
    ),
    C("replacelist-ignores-case", "%%=ReplaceList('aXbxc', '-', 'X')=%%", "a-b-c"),
    C("stringtohex", "%%=StringToHex('Grüße')=%%", "4772c3bc c39f65".replace(" ", "")),
    C("stringtohex-charset", "%%=StringToHex('Grüße', 'utf-16')=%%", "47007200fc00df006500"),
    E(
        "stringtohex-unknown-charset",
        "%%=StringToHex('a', 'klingon')=%%",
        1,
        4,
        "not a character set",
    ),
    # --- Rowsets from text ---
    C(
        "buildrowsetfromstring",
        "%%[ SET @r = BuildRowsetFromString('ONE|TWO|THREE', '|') ]%%%%=RowCount(@r)=%%:"
        "%%=Field(Row(@r, 1), 1)=%%,%%=Field(Row(@r, 3), 'Value')=%%",
        "3:ONE,THREE",
    ),
    C("buildrowsetfromstring-empty", "%%=RowCount(BuildRowsetFromString('', ','))=%%", "0"),
    E(
        "buildrowsetfromstring-no-second-field",
        "%%=Field(Row(BuildRowsetFromString('a|b', '|'), 1), 2)=%%",
        1,
        4,
        "no field",
    ),
    C(
        "buildrowsetfromjson",
        "%%[ SET @r = BuildRowsetFromJSON(json, '$.items[*]', 0) ]%%%%=RowCount(@r)=%%:"
        "%%=Field(Row(@r, 2), 'sku')=%%:%%=IsNull(Field(Row(@r, 2), 'qty'))=%%:"
        "%%=Field(Row(@r, 1), 'tags')=%%",
        '2:B2:True:["x"]',
    ),
    C(
        "buildrowsetfromjson-scalar",
        "%%=Field(Row(BuildRowsetFromJSON(json, '$.n'), 1), 1)=%%",
        "7",
    ),
    C("buildrowsetfromjson-deep", "%%=RowCount(BuildRowsetFromJSON(json, '$..sku'))=%%", "2"),
    C(
        "buildrowsetfromjson-empty-on-error",
        "%%=RowCount(BuildRowsetFromJSON('{', '$', 1))=%%",
        "0",
    ),
    E("buildrowsetfromjson-error", "%%=BuildRowsetFromJSON('{', '$', 0)=%%", 1, 4, "not valid"),
    C(
        "buildrowsetfromxml",
        "%%[ SET @r = BuildRowsetFromXML(xml, '//Flight', 0) ]%%%%=RowCount(@r)=%%:"
        "%%=Field(Row(@r, 1), 'Value')=%%:%%=Field(Row(@r, 2), 'carrier_att')=%%:"
        "[%%=Field(Row(@r, 1), 'Carrier_att')=%%]:%%=Field(Row(@r, 3), 'Xml')=%%",
        "3:100.00:UAL:[]:500<Bag>25</Bag>",
    ),
    C(
        "buildrowsetfromxml-predicate",
        "%%=Field(Row(BuildRowsetFromXML(xml, '/root/Flight[@dest=''LAX'']', 0), 1), 'Value')=%%",
        "200.00",
    ),
    C(
        "buildrowsetfromxml-dtd-refused-empty",
        "%%=RowCount(BuildRowsetFromXML('<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>', '//x', 1))=%%",
        "0",
    ),
    E("buildrowsetfromxml-error", "%%=BuildRowsetFromXML('<a>', '//a', 0)=%%", 1, 4, "not valid"),
    C("datatextensionrowcount", "%%=DataExtensionRowCount('products')=%%", "3"),
    E(
        "datatextensionrowcount-unknown",
        "%%=DataExtensionRowCount('Nope')=%%",
        1,
        4,
        "no data extension",
    ),
    # --- Formats and dates ---
    C("formatcurrency", "%%=FormatCurrency(1234.5, 'en-US')=%%", "$1,234.50"),
    C(
        "formatcurrency-places-symbol",
        "%%=FormatCurrency(1234.567, 'de-DE', 1, 'EUR')=%%",
        "1.234,6 EUR",
    ),
    C(
        "systemdatetolocaldate-no-zone",
        "%%=SystemDateToLocalDate('2024-01-01 10:00')=%%",
        "1/1/2024 10:00:00 AM",
    ),
    C(
        "localdatetosystemdate-no-zone",
        "%%=LocalDateToSystemDate('2024-01-01 10:00')=%%",
        "1/1/2024 10:00:00 AM",
    ),
    # --- Encoding and hashes ---
    C(
        "base64encode",
        "%%=Base64Encode('Grüße')=%% %%=Base64Encode('Grüße', 'iso-8859-1')=%%",
        "R3LDvMOfZQ== R3L832U=",
    ),
    C(
        "base64decode",
        "%%=Base64Decode('R3LDvMOfZQ==')=%% %%=Base64Decode('R3L832U=', 'iso-8859-1')=%%",
        "Grüße Grüße",
    ),
    C("base64decode-soft", "[%%=Base64Decode('***', 'utf-8', 0)=%%]", "[]"),
    E("base64decode-error", "%%=Base64Decode('***')=%%", 1, 4, "not Base64"),
    C("md5", "%%=MD5('Hello')=%%", "8b1a9953c4611296a827abf8c47804d7"),
    C("sha1", "%%=SHA1('Hello')=%%", "f7ff9e8b7bb2e09b70935a5d785e0cc5d9d0abf0"),
    C(
        "sha256",
        "%%=SHA256('Hello')=%%",
        "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969",
    ),
    C(
        "sha512",
        "%%=SHA512('Hello')=%%",
        "3615f80c9d293ed7402687f94b22d58e529b8cc7916f8fac7fddf7fbd5af4cf777d3d795a7a00a16bf7e7f3fb"
        "9561ee9baae480da9fe7a18769e71886b03f315",
    ),
    C(
        "encrypt-decrypt-aes-values",
        "%%[ SET @e = EncryptSymmetric('Secret', 'aes', @n, 'pw', @n, '0102030405060708', @n, "
        "'000102030405060708090a0b0c0d0e0f') ]%%%%=DecryptSymmetric(@e, 'AES', @n, 'pw', @n, "
        "'0102030405060708', @n, '000102030405060708090a0b0c0d0e0f')=%%",
        "Secret",
    ),
    C(
        "encrypt-decrypt-external-keys",
        "%%[ SET @e = EncryptSymmetric('Ünïcode', 'aes', 'pw-key', @n, 'salt-key', @n, 'iv-key', @n) ]%%"
        "%%=DecryptSymmetric(@e, 'aes', 'pw-key', @n, 'salt-key', @n, 'iv-key', @n)=%%",
        "Ünïcode",
    ),
    C(
        "encrypt-des-ecb-plain-key",
        "%%=DecryptSymmetric(EncryptSymmetric('Cameron', 'des;mode=ecb;padding=pkcs7', @n, '8ce32e59'),"
        " 'des;mode=ecb;padding=pkcs7', @n, '8ce32e59')=%%",
        "Cameron",
    ),
    E(
        "encrypt-unknown-key",
        "%%=EncryptSymmetric('a', 'aes', 'nope', @n, @n, @n, @n, @n)=%%",
        1,
        4,
        "no password key 'nope'",
    ),
    E(
        "encrypt-bad-algorithm",
        "%%=EncryptSymmetric('a', 'rot13', @n, 'pw')=%%",
        1,
        4,
        "aes, des or tripledes",
    ),
    E(
        "decrypt-wrong-key",
        "%%=DecryptSymmetric('AAAAAAAAAAAAAAAAAAAAAA==', 'aes', @n, 'pw', @n, '01020304050607', @n, @n)=%%",
        1,
        4,
        "cannot be decrypted",
    ),
    # --- HTTP without a host allowed (tests/integration/test_ampscript_http.py: with one) ---
    E(
        "httpget-refused-here",
        "%%=HTTPGet('https://example.com/')=%%",
        1,
        4,
        "may not make network requests",
    ),
    C(
        "httpget-continue-on-error",
        "[%%=HTTPGet('https://example.com/', true, 0, @s)=%%]%%=v(@s)=%%",
        "[]-1",
    ),
    E(
        "httppost-refused-here",
        "%%=HTTPPost('https://example.com/', 'text/plain', 'x')=%%",
        1,
        4,
        "network requests",
    ),
    C(
        "httppost2-no-exception",
        "%%=HTTPPost2('https://example.com/', 'text/plain', 'x', false, @s, @r)=%%",
        "-1",
    ),
    C(
        "httppostwithretry-no-exception",
        "%%=HTTPPostWithRetry('https://x.test/', 'text/plain', 'x', 2, false, @s, @r)=%%",
        "-1",
    ),
    # --- API objects (tests/integration/test_ampscript_api_and_crm.py: invoked) ---
    C("createobject-shows-its-type", "%%=v(CreateObject('Subscriber'))=%%", "Subscriber"),
    C(
        "setobjectproperty-addobjectarrayitem",
        "%%[ SET @o = CreateObject('Subscriber') SetObjectProperty(@o, 'EmailAddress', 'a@x.test')"
        " AddObjectArrayItem(@o, 'Attributes', CreateObject('Attribute')) ]%%ok",
        "ok",
    ),
    E(
        "setobjectproperty-not-an-object",
        "%%[ SetObjectProperty('x', 'a', 'b') ]%%",
        1,
        5,
        "made with CreateObject",
    ),
    E(
        "invokecreate-here",
        "%%=InvokeCreate(CreateObject('Subscriber'), @m, @c)=%%",
        1,
        4,
        "SOAP API cannot be called here",
    ),
    E(
        "invokeupdate-here",
        "%%=InvokeUpdate(CreateObject('Subscriber'), @m, @c)=%%",
        1,
        4,
        "SOAP API",
    ),
    E(
        "invokedelete-here",
        "%%=InvokeDelete(CreateObject('Subscriber'), @m, @c)=%%",
        1,
        4,
        "SOAP API",
    ),
    E(
        "invokeperform-here",
        "%%=InvokePerform(CreateObject('EmailSendDefinition'), 'start', @m)=%%",
        1,
        4,
        "SOAP API",
    ),
    E(
        "invokeretrieve-here",
        "%%=InvokeRetrieve(CreateObject('RetrieveRequest'), @s)=%%",
        1,
        4,
        "SOAP API",
    ),
    E(
        "invokeretrieve-needs-request",
        "%%=InvokeRetrieve(CreateObject('Subscriber'))=%%",
        1,
        4,
        "RetrieveRequest",
    ),
    E(
        "invokecreate-status-variable",
        "%%=InvokeCreate(CreateObject('Subscriber'), 'm')=%%",
        1,
        45,
        "@variable",
    ),
    # --- Salesforce (tests/integration/test_ampscript_api_and_crm.py: with the CRM store) ---
    E(
        "retrievesalesforceobjects-here",
        "%%=RetrieveSalesforceObjects('Contact', 'Id', 'Email', '=', 'a')=%%",
        1,
        4,
        "no Salesforce data",
    ),
    E(
        "createsalesforceobject-here",
        "%%=CreateSalesforceObject('Lead', 1, 'LastName', 'L')=%%",
        1,
        4,
        "no Salesforce",
    ),
    E(
        "createsalesforceobject-count",
        "%%=CreateSalesforceObject('Lead', 2, 'LastName', 'L')=%%",
        1,
        4,
        "2 fields were announced",
    ),
    E(
        "updatesinglesalesforceobject-here",
        "%%=UpdateSingleSalesforceObject('Contact', '003D000000QOWkG', 'FirstName', 'Z')=%%",
        1,
        4,
        "no Salesforce",
    ),
    # --- Utilities ---
    C(
        "isphonenumber",
        "%%=IsPhoneNumber('(317) 555-0100')=%% %%=IsPhoneNumber('+1 317.555.0100')=%% "
        "%%=IsPhoneNumber('555-0100')=%% %%=IsPhoneNumber('(017) 555-0100')=%%",
        "True True False False",
    ),
    E("cloudpagesurl-no-pages", "%%=CloudPagesURL(42, 'a', 'b')=%%", 1, 4, "no landing page URL"),
    E("micrositeurl-pairs", "x%%=MicrositeURL(42, 'a')=%%", 1, 5, "no landing page URL"),
    C("wraplongurl", "%%=WrapLongURL('https://x.test/a?b=c')=%%", "https://x.test/a?b=c"),
    C(
        "ischtmlbrowser",
        "%%=IsCHTMLBrowser('DoCoMo/2.0 P903i')=%% %%=IsCHTMLBrowser('Mozilla/5.0')=%%",
        "True False",
    ),
    C(
        "requestparameter-in-email",
        "[%%=RequestParameter('id')=%%][%%=QueryParameter('id')=%%]",
        "[][]",
    ),
    C("random", "%%=Random(3, 3)=%%", "3"),
    C("guid-shape", "%%=Length(GUID())=%% %%=IIf(GUID() == GUID(), 'same', 'new')=%%", "36 new"),
    E("random-bounds", "%%=Random(3, 1)=%%", 1, 4, "upper bound"),
    C("longsfid", "%%=LongSFID('003D000000QOWkG')=%%", "003D000000QOWkGIAX"),
    E("longsfid-not-an-id", "%%=LongSFID('nope')=%%", 1, 4, "15 or 18 characters"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    check(case, environment(case.data, keys=KEYS))


def test_cloud_pages_and_microsite_links() -> None:
    env = environment(pages_url="https://pages.example.test/")
    content = "%%=CloudPagesURL(42, 'sk', 'a b&c', 'n', 1)=%% %%=MicrositeURL('p-7')=%%"
    shown = compile_content(content).render({}, env)
    assert shown == "https://pages.example.test/42?sk=a+b%26c&n=1 https://pages.example.test/p-7"
    with pytest.raises(Exception) as raised:
        compile_content("%%=CloudPagesURL('../x')=%%").render({}, env)
    assert "not a page ID" in str(raised.value)


def test_guid_is_a_new_guid_each_time() -> None:
    program = compile_content("%%=GUID()=%% %%=GUID()=%%")
    first, second = program.render({}, environment()).split()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )
    assert first != second


def test_local_dates_follow_the_accounts_zone() -> None:
    env = environment(local_utc_offset_minutes=60)  # system time is UTC-6
    content = "%%=SystemDateToLocalDate('2024-01-01 10:00')=%%|%%=LocalDateToSystemDate('2024-01-01 17:00')=%%"
    assert compile_content(content).render({}, env) == "1/1/2024 5:00:00 PM|1/1/2024 10:00:00 AM"


def test_hostile_regular_expressions_are_cut_short() -> None:
    content = "%%=RegExMatch(Concat(Char(97, 5000), 'b'), '^(a|a?)+$', 0)=%%"
    with pytest.raises(Exception) as raised:
        compile_content(content).render({}, environment())
    assert "took too long" in str(raised.value)
