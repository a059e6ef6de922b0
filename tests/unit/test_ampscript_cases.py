"""AMPscript and personalization strings, case by case: template, data, expected output or error.

Each case is content, the subscriber's attributes and data extension rows, and either the
text it renders to or the error (line, column, words of the message) it must give. The clock
is fixed at Tuesday 5 March 2024 14:07:09 system time. Semantics follow Marketing Cloud's
AMPscript reference: string comparisons ignore case, IndexOf is 1-based, Lookup takes
(data extension, return column, column, value ...), FormatDate reads ``m`` as the month in its
date pattern and as the minute in its time pattern, Empty is true for null and "", IsNull only
for null.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.ampscript_support import Case, check, environment

A = {"firstname": "ann", "lastname": "LEE", "tier": "Gold", "score": "42", "city": ""}
SYSTEM = {
    "member_busname": "Acme Corp",
    "member_addr": "1 Main St",
    "view_email_url": "https://view.example/v?j=7",
    "unsub_center_url": "https://view.example/u?j=7",
    "profile_center_url": "https://view.example/p?j=7",
    "_emailid": "321",
}
PRODUCTS = [
    {"SKU": "A1", "Name": "Anvil", "Price": "19.99", "Stock": "5", "Region": "EU"},
    {"SKU": "B2", "Name": "Bucket", "Price": "4.5", "Stock": "0", "Region": "US"},
    {"SKU": "c3", "Name": "Crate", "Price": "120", "Stock": "12", "Region": "eu"},
    {"SKU": "D4", "Name": "Drum", "Price": "35", "Stock": None, "Region": "EU"},
]
DATA = {"Products": PRODUCTS, "Empty DE": []}


def C(id: str, template: str, expected: str | None = None, **kw: Any) -> Case:
    kw.setdefault("attrs", A)
    kw.setdefault("data", DATA)
    return Case(id, template, expected, **kw)


def E(id: str, template: str, line: int, column: int, words: str) -> Case:
    return C(id, template, error=(line, column, words))


CASES = [
    # --- Personalization strings ---
    C("field", "Hi %%FirstName%%!", "Hi ann!"),
    C("field-case-insensitive", "%%FIRSTNAME%%/%%firstName%%", "ann/ann"),
    C("field-missing-renders-as-written", "[%%Nickname%%]", "[%%Nickname%%]"),
    C("field-with-space", "%%Zip Code%%", "75001", attrs={"zip code": "75001"}),
    C("field-null-is-empty", "[%%City%%]", "[]", attrs={"city": None}),
    C("percent-prose-stays", "50%% off, 20%% more", "50%% off, 20%% more"),
    C("system-emailaddr", "%%emailaddr%%", "a@x.test", attrs={"emailaddr": "a@x.test"}),
    C("system-subscriberkey", "%%_SubscriberKey%%", "SK1", attrs={"_subscriberkey": "SK1"}),
    C("system-jobid", "%%jobid%%", "77", attrs={"jobid": "77"}),
    C("system-emailid", "%%_emailid%%", "321"),
    C("system-messagecontext", "%%_messagecontext%%", "SEND"),
    C("system-xtmonth", "%%xtmonth%% %%xtmonthnumeric%%", "March 3"),
    C("system-xtday", "%%xtday%% %%xtdayofweek%% %%xtyear%%", "5 Tuesday 2024"),
    C("system-xtshortdate", "%%xtshortdate%%", "3/5/2024"),
    C("system-xtlongdate", "%%xtlongdate%%", "Tuesday, March 5, 2024"),
    C("system-member", "%%member_busname%%, %%member_addr%%", "Acme Corp, 1 Main St"),
    C(
        "system-urls",
        "%%view_email_url%% %%unsub_center_url%%",
        "https://view.example/v?j=7 https://view.example/u?j=7",
    ),
    C("system-profile-center", "%%profile_center_url%%", "https://view.example/p?j=7"),
    C(
        "system-in-code",
        "%%=Concat(xtyear, '-', emailaddr)=%%",
        "2024-a@x.test",
        attrs={"emailaddr": "a@x.test"},
    ),
    C("values-not-escaped", "<p>%%Note%%</p>", "<p><b>&</b></p>", attrs={"note": "<b>&</b>"}),
    # --- Delimiters, literals, comments ---
    C("inline-variable", "%%[ SET @x = 'v' ]%%%%=v(@x)=%%", "v"),
    C("inline-literal", '%%="text"=%%', "text"),
    C("inline-number", "%%=42=%%|%%=-3.50=%%", "42|-3.5"),
    C("inline-boolean", "%%=true=%% %%=FALSE=%%", "True False"),
    C("inline-attribute", "%%=FirstName=%%", "ann"),
    C("bracket-attribute", "%%=[Zip Code]=%%", "75001", attrs={"zip code": "75001"}),
    C("doubled-quotes", '%%="say ""hi"""=%% %%=\'it\'\'s\'=%%', 'say "hi" it\'s'),
    C("block-writes-nothing", "a%%[ SET @x = 1 ]%%b", "ab"),
    C("comment", "%%[ /* note ]%% */ SET @x = 'c' ]%%%%=v(@x)=%%", "c"),
    C("keywords-any-case", "%%[ set @x = 1 If @x == 1 Then Output(v('y')) endif ]%%", "y"),
    C(
        "script-tag",
        '<script runat="server" language="ampscript">SET @s = "tag"</script>%%=v(@s)=%%',
        "tag",
    ),
    C(
        "script-tag-single-quotes",
        "<script language='ampscript' runat='server'>Output(v('x'))</script>",
        "x",
    ),
    C("client-script-stays", "<script>var a = 1;</script>", "<script>var a = 1;</script>"),
    C(
        "multiline-block",
        "%%[\nVAR @a, @b\nSET @a = 'x'\nSET @b = Concat(@a, @a)\n]%%%%=v(@b)=%%",
        "xx",
    ),
    C("function-name-any-case", "%%=UPPERCASE('a')=%%%%=uppercase('b')=%%", "AB"),
    C("output-in-block", "%%[ Output(Concat('a', 'b')) ]%%", "ab"),
    C("outputline", "%%[ OutputLine(v('a')) Output(v('b')) ]%%", "a\r\nb"),
    C("output-several", "%%[ Output('a', 'b') ]%%", "ab"),
    # --- VAR and SET ---
    C("unset-variable-empty", "[%%=v(@never)=%%]", "[]"),
    C(
        "declared-variable-not-isnull",
        "%%[ VAR @x ]%%%%=IsNull(@x)=%% %%=Empty(@x)=%%",
        "False True",
    ),
    C("variable-names-case-insensitive", "%%[ SET @Name = 'n' ]%%%%=v(@NAME)=%%", "n"),
    C("reassign", "%%[ SET @x = 1 SET @x = Add(@x, 1) ]%%%%=v(@x)=%%", "2"),
    C("set-from-attribute", "%%[ SET @t = Tier ]%%%%=v(@t)=%%", "Gold"),
    C("var-keeps-value", "%%[ SET @x = 'k' VAR @x ]%%%%=v(@x)=%%", "k"),
    # --- IF ---
    C("if-true", "%%[ IF @x == @x THEN ]%%yes%%[ ENDIF ]%%", "yes"),
    C("if-else", "%%[ IF Tier == 'Silver' THEN ]%%S%%[ ELSE ]%%O%%[ ENDIF ]%%", "O"),
    C("if-string-case-insensitive", "%%[ IF Tier == 'GOLD' THEN ]%%gold%%[ ENDIF ]%%", "gold"),
    C(
        "if-not-equal-case-insensitive",
        "%%[ IF Tier != 'gold' THEN ]%%x%%[ ELSE ]%%same%%[ ENDIF ]%%",
        "same",
    ),
    C(
        "elseif-chain",
        "%%[ IF Score > 50 THEN ]%%high%%[ ELSEIF Score > 40 THEN ]%%mid"
        "%%[ ELSEIF Score > 10 THEN ]%%low%%[ ELSE ]%%none%%[ ENDIF ]%%",
        "mid",
    ),
    C(
        "nested-if",
        "%%[ IF Tier == 'Gold' THEN IF Score >= 42 THEN ]%%A%%[ ELSE ]%%B%%[ ENDIF ELSE ]%%C"
        "%%[ ENDIF ]%%",
        "A",
    ),
    C(
        "nested-if-inner-else",
        "%%[ IF Tier == 'Gold' THEN IF Score > 42 THEN ]%%A%%[ ELSE ]%%B%%[ ENDIF ENDIF ]%%",
        "B",
    ),
    C(
        "nested-if-outer-else",
        "%%[ IF Tier == 'Bronze' THEN IF 1 == 1 THEN ]%%A%%[ ENDIF ELSE ]%%C%%[ ENDIF ]%%",
        "C",
    ),
    C("numbers-compare-as-numbers", "%%[ IF Score > 9 THEN ]%%num%%[ ENDIF ]%%", "num"),
    C("numeric-strings-equal", "%%[ IF '1.0' == 1 THEN ]%%eq%%[ ENDIF ]%%", "eq"),
    C("text-compare-ignores-case", "%%[ IF 'apple' < 'Banana' THEN ]%%lt%%[ ENDIF ]%%", "lt"),
    C("less-equal", "%%[ IF 3 <= 3 AND 2 < 3 AND 4 >= 4 THEN ]%%ok%%[ ENDIF ]%%", "ok"),
    C(
        "and-or-parentheses",
        "%%[ IF (Tier == 'Silver' OR Tier == 'Gold') AND NOT (Score < 10) THEN ]%%in%%[ ENDIF ]%%",
        "in",
    ),
    C("or-short", "%%[ IF 1 == 2 OR 2 == 2 THEN ]%%y%%[ ENDIF ]%%", "y"),
    C("not-not", "%%[ IF NOT NOT true THEN ]%%t%%[ ENDIF ]%%", "t"),
    C("boolean-variable", "%%[ SET @b = true IF @b THEN ]%%t%%[ ENDIF ]%%", "t"),
    C(
        "boolean-text-field",
        "%%[ IF Opted THEN ]%%on%%[ ELSE ]%%off%%[ ENDIF ]%%",
        "on",
        attrs={"opted": "True"},
    ),
    C("plain-text-is-false", "%%[ IF 'yes' THEN ]%%t%%[ ELSE ]%%f%%[ ENDIF ]%%", "f"),
    C("empty-equals-empty-string", "%%[ IF City == '' THEN ]%%none%%[ ENDIF ]%%", "none"),
    C(
        "null-is-not-empty-string",
        "%%[ IF @nothing == '' THEN ]%%same%%[ ELSE ]%%unordered%%[ ENDIF ]%%",
        "unordered",
    ),
    C("if-with-function", "%%[ IF Empty(City) THEN ]%%no city%%[ ENDIF ]%%", "no city"),
    C(
        "if-spans-text-and-inline",
        "%%[ IF Tier == 'gold' THEN ]%%<b>%%=Uppercase(FirstName)=%% %%LastName%%</b>%%[ ENDIF ]%%",
        "<b>ANN LEE</b>",
    ),
    C("if-false-skips-errors", "%%[ IF 1 == 2 THEN SET @x = Divide(1, 0) ENDIF ]%%ok", "ok"),
    C("text-between-branches", "a%%[ IF 1 == 1 THEN ]%%b%%[ ELSE ]%%c%%[ ENDIF ]%%d", "abd"),
    # --- FOR ---
    C("for-to", "%%[ FOR @i = 1 TO 3 DO ]%%%%=v(@i)=%%%%[ NEXT @i ]%%", "123"),
    C("for-downto", "%%[ FOR @i = 3 DOWNTO 1 DO Output(v(@i)) NEXT @i ]%%", "321"),
    C("for-empty-range", "%%[ FOR @i = 3 TO 1 DO Output(v(@i)) NEXT ]%%done", "done"),
    C("for-next-without-variable", "%%[ for @i = 1 to 2 do Output(v('x')) next ]%%", "xx"),
    C(
        "for-bounds-from-strings",
        "%%[ FOR @i = '2' TO Score DO SET @last = @i NEXT ]%%%%=v(@last)=%%",
        "42",
    ),
    C(
        "nested-for",
        "%%[ FOR @i = 1 TO 2 DO FOR @j = 1 TO 2 DO Output(Concat(@i, @j, ' ')) NEXT @j NEXT @i ]%%",
        "11 12 21 22 ",
    ),
    C(
        "for-with-if",
        "%%[ FOR @i = 1 TO 4 DO IF Mod(@i, 2) == 0 THEN Output(v(@i)) ENDIF NEXT @i ]%%",
        "24",
    ),
    C(
        "for-text-body",
        "%%[ FOR @i = 1 TO 2 DO ]%%<li>%%=v(@i)=%%</li>%%[ NEXT ]%%",
        "<li>1</li><li>2</li>",
    ),
    # --- Strings ---
    C("concat", "%%=Concat('a', 1, true, FirstName)=%%", "a1Trueann"),
    C("concat-one", "%%=Concat('solo')=%%", "solo"),
    C("uppercase", "%%=Uppercase('Zoë')=%%", "ZOË"),
    C("uppercase-sharp-s", "%%=Uppercase('straße')=%%", "STRAßE"),
    C("lowercase", "%%=Lowercase(LastName)=%%", "lee"),
    C("propercase", "%%=ProperCase('hello WORLD')=%%", "Hello World"),
    C(
        "propercase-only-spaces-start-words",
        "%%=ProperCase('jean-luc o''neil')=%%",
        "Jean-luc O'neil",
    ),
    C("length", "%%=Length('hello')=%% %%=Length('')=%% %%=Length(@none)=%%", "5 0 0"),
    C("length-utf16", "%%=Length('a😀')=%%", "3"),
    C("substring", "%%=Substring('0312F-Gold', 7)=%%", "Gold"),
    C("substring-length", "%%=Substring('Hello World', 1, 5)=%%", "Hello"),
    C("substring-past-end", "[%%=Substring('abc', 9, 2)=%%]", "[]"),
    C("substring-start-below-one", "%%=Substring('abc', 0, 2)=%%", "ab"),
    C("substring-long-length", "%%=Substring('abc', 2, 99)=%%", "bc"),
    C("indexof-1-based", "%%=IndexOf('29487C-22934', 'C')=%%", "6"),
    C("indexof-substring", "%%=IndexOf('Hello World', 'World')=%%", "7"),
    C("indexof-not-found", "%%=IndexOf('abc', 'z')=%%", "0"),
    C("indexof-ignores-case", "%%=IndexOf('Hello', 'LLO')=%%", "3"),
    C("indexof-occurrence", "%%=IndexOf('a-b-c', '-', 2)=%%", "4"),
    C("replace", "%%=Replace('Hello world!', 'world', 'friend')=%%", "Hello friend!"),
    C("replace-ignores-case", "%%=Replace('A a A', 'a', 'b')=%%", "b b b"),
    C("replace-no-replacement", "%%=Replace('a-b-c', '-')=%%", "abc"),
    C("replace-once-per-match", "%%=Replace('aa', 'a', 'aa')=%%", "aaaa"),
    C("trim", "[%%=Trim('  x y \t')=%%]", "[x y]"),
    C("char", "%%=Char(65)=%%%%=Char(45, 3)=%%", "A---"),
    # --- Number formats ---
    C("formatnumber-n2", "%%=FormatNumber(1234.555, 'N2')=%%", "1,234.56"),
    C("formatnumber-n0", "%%=FormatNumber(1234.5, 'N0')=%%", "1,235"),
    C("formatnumber-c2", "%%=FormatNumber(1234.567, 'C2', 'en-US')=%%", "$1,234.57"),
    C("formatnumber-de", "%%=FormatNumber(1234.567, 'N2', 'de-DE')=%%", "1.234,57"),
    C("formatnumber-currency-de", "%%=FormatNumber(1234.5, 'C', 'de-DE')=%%", "1.234,50 €"),
    C(
        "formatnumber-fr",
        "%%=FormatNumber(-12300099.45678, 'N', 'fr-FR')=%%",
        "-12\xa0300\xa0099,46",
    ),
    C("formatnumber-f", "%%=FormatNumber(3.14159, 'F3')=%%", "3.142"),
    C("formatnumber-p", "%%=FormatNumber(0.256, 'P1')=%%", "25.6%"),
    C("formatnumber-d", "%%=FormatNumber(42, 'D5')=%%", "00042"),
    C("formatnumber-e", "%%=FormatNumber(1234.5, 'E2')=%%", "1.23E+003"),
    C("formatnumber-custom", "%%=FormatNumber(1234.5, '#,##0.00')=%%", "1,234.50"),
    C("formatnumber-custom-percent", "%%=FormatNumber(0.5, '0%')=%%", "50%"),
    C(
        "formatnumber-string-input",
        "%%=FormatNumber(Price, 'N1')=%%",
        "1,200.0",
        attrs={"price": "1,200"},
    ),
    C(
        "formatnumber-half-away-from-zero",
        "%%=FormatNumber(-2.5, 'N0')=%% %%=FormatNumber(2.5, 'F0')=%%",
        "-3 3",
    ),
    C("format-number", "%%=Format(1234.5, 'C')=%%", "$1,234.50"),
    C(
        "format-date-custom",
        "%%=Format(Now(), 'dddd, MMMM d, yyyy h:mm tt')=%%",
        "Tuesday, March 5, 2024 2:07 PM",
    ),
    C("format-date-standard", "%%=Format('2017-10-05 20:09:34', 'd', 'Date')=%%", "10/5/2017"),
    C(
        "format-date-minutes-vs-months",
        "%%=Format('2017-10-05 20:09:34', 'yyyy-MM-dd HH:mm')=%%",
        "2017-10-05 20:09",
    ),
    C("format-plain-text", "%%=Format('abc', 'N2')=%%", "abc"),
    # --- Dates ---
    C("now", "%%=Now()=%%", "3/5/2024 2:07:09 PM"),
    C("now-same-instant", "%%=IIf(Now() == Now(), 'same', 'moved')=%%", "same"),
    C(
        "formatdate-official-example",
        "%%=FormatDate('2012-10-05 03:21:34.567890', 'MMM DD, YYYY', 'HH:MM:SS.MMM', 'en-US')=%%",
        "Oct 05, 2012 03:21:34.567",
    ),
    C(
        "formatdate-case-insensitive-date-pattern",
        "%%=FormatDate(Now(), 'YYYY-mm-DD')=%%",
        "2024-03-05",
    ),
    C(
        "formatdate-mm-in-date-pattern-is-month",
        "%%=FormatDate(Now(), 'yyyy-MM-dd HH:mm')=%%",
        "2024-03-05 14:03",
    ),
    C(
        "formatdate-time-pattern",
        "%%=FormatDate(Now(), 'MM/dd/yyyy', 'hh:mm tt')=%%",
        "03/05/2024 02:07 PM",
    ),
    C("formatdate-long", "%%=FormatDate('2011-08-15', 'l')=%%", "Monday, August 15, 2011"),
    C("formatdate-short", "%%=FormatDate('2011-08-15 20:00', 's')=%%", "8/15/2011"),
    C("formatdate-day-names", "%%=FormatDate(Now(), 'dddd / ddddd')=%%", "Tue / Tuesday"),
    C(
        "formatdate-iso",
        "%%=FormatDate('2017-10-05 20:09:34.567890', 'iso')=%%",
        "2017-10-05T20:09:34.5678900-06:00",
    ),
    C(
        "formatdate-rfc",
        "%%=FormatDate('2017-10-05 20:09:34', 'rfc')=%%",
        "Thu, 05 Oct 2017 20:09:34 GMT",
    ),
    C(
        "formatdate-universal",
        "%%=FormatDate('2017-10-05 20:09:34', 'U')=%%",
        "Friday, October 6, 2017 2:09:34 AM",
    ),
    C(
        "formatdate-standard-letters",
        "%%=FormatDate('2017-10-05 20:09:34', 'M')=%% | "
        "%%=FormatDate('2017-10-05 20:09:34', 'y')=%% | %%=FormatDate('2017-10-05 20:09:34', 'g')=%%"
        " | %%=FormatDate('2017-10-05 20:09:34', 'T')=%%",
        "October 5 | October 2017 | 10/5/2017 8:09 PM | 8:09:34 PM",
    ),
    C(
        "formatdate-us-input",
        "%%=FormatDate('8/5/2023 1:41 PM', 'yyyy-MM-dd', 'HH:mm')=%%",
        "2023-08-05 13:41",
    ),
    C("formatdate-month-name-input", "%%=FormatDate('August 5, 2023', 'MMMM d')=%%", "August 5"),
    C(
        "dateadd-days",
        "%%=FormatDate(DateAdd('2024-02-27', 3, 'D'), 'yyyy-MM-dd')=%%",
        "2024-03-01",
    ),
    C(
        "dateadd-month-clamps",
        "%%=FormatDate(DateAdd('2024-01-31', 1, 'M'), 'yyyy-MM-dd')=%%",
        "2024-02-29",
    ),
    C(
        "dateadd-years",
        "%%=FormatDate(DateAdd('2024-02-29', -1, 'Y'), 'yyyy-MM-dd')=%%",
        "2023-02-28",
    ),
    C(
        "dateadd-hours-minutes",
        "%%=DateAdd(DateAdd(Now(), 2, 'H'), -7, 'MI')=%%",
        "3/5/2024 4:00:09 PM",
    ),
    C("dateadd-unit-any-case", "%%=FormatDate(DateAdd(Now(), 1, 'd'), 's')=%%", "3/6/2024"),
    C(
        "datediff-days-crossing-midnight",
        "%%=DateDiff('2024-01-01 23:00', '2024-01-02 01:00', 'D')=%%",
        "1",
    ),
    C("datediff-negative", "%%=DateDiff('2024-03-01', '2024-01-01', 'M')=%%", "-2"),
    C("datediff-years", "%%=DateDiff('1990-12-31', Now(), 'Y')=%%", "34"),
    C("datediff-hours", "%%=DateDiff('2024-03-05 10:59', Now(), 'H')=%%", "4"),
    C("datediff-minutes", "%%=DateDiff(Now(), DateAdd(Now(), 1, 'D'), 'MI')=%%", "1440"),
    C("dateparse-iso-utc", "%%=DateParse('2024-01-01T12:00:00Z')=%%", "1/1/2024 6:00:00 AM"),
    C("dateparse-to-utc", "%%=DateParse('2024-01-01 12:00', 1)=%%", "1/1/2024 6:00:00 PM"),
    C("dateparse-offset", "%%=DateParse('2023-08-05T13:41:23-06:00')=%%", "8/5/2023 1:41:23 PM"),
    C("stringtodate", "%%=FormatDate(StringToDate('8/5/2023'), 'yyyy-MM-dd')=%%", "2023-08-05"),
    C(
        "datepart",
        "%%=DatePart('2024-07-04 19:35', 'month')=%%/%%=DatePart('2024-07-04', 'Y')=%%",
        "07/2024",
    ),
    C(
        "date-comparison",
        "%%[ IF DateParse('2024-01-01') < Now() THEN ]%%past%%[ ENDIF ]%%",
        "past",
    ),
    # --- Utility ---
    C("empty-true", "%%=Empty('')=%% %%=Empty(@unset)=%% %%=Empty(City)=%%", "True True True"),
    C("empty-false", "%%=Empty(' ')=%% %%=Empty(0)=%% %%=Empty('false')=%%", "False False False"),
    C(
        "isnull-only-data-null",
        "%%=IsNull(@unset)=%% %%=IsNull('')=%% %%=IsNull(City)=%%",
        "False False False",
    ),
    C(
        "isnull-null-field",
        "%%=IsNull(City)=%% %%=Empty(City)=%%",
        "True True",
        attrs={"city": None},
    ),
    C("iif", "%%=IIf(Score > 40, 'big', 'small')=%%", "big"),
    C("iif-lazy", "%%=IIf(true, 'safe', Divide(1, 0))=%%", "safe"),
    C("iif-text-is-false", "%%=IIf('x', 'T', 'F')=%%", "F"),
    C("attributevalue", "%%=AttributeValue('FIRSTNAME')=%%", "ann"),
    C(
        "attributevalue-unknown-is-null",
        "[%%=AttributeValue('nope')=%%]%%=IsNull(AttributeValue('nope'))=%%",
        "[]True",
    ),
    C("attributevalue-dynamic", "%%[ SET @f = 'tier' ]%%%%=AttributeValue(@f)=%%", "Gold"),
    C("v-of-function", "%%=v(Uppercase('x'))=%%", "X"),
    C(
        "redirectto",
        '<a href="%%=RedirectTo(Concat("https://x.test/?t=", Tier))=%%">',
        '<a href="https://x.test/?t=Gold">',
    ),
    C("urlencode", "%%=URLEncode('https://x.test/a b?q=é f')=%%", "https://x.test/a b?q=é%20f"),
    C("domain", "%%=Domain('ann@example.test')=%%", "example.test"),
    C(
        "isemailaddress",
        "%%=IsEmailAddress('a@b.co')=%% %%=IsEmailAddress('nope')=%%",
        "True False",
    ),
    # --- Arithmetic ---
    C("add", "%%=Add(1, 2)=%%", "3"),
    C("add-strings", "%%=Add(Score, '0.5')=%%", "42.5"),
    C("subtract-negative", "%%=Subtract(2, 5)=%%", "-3"),
    C("multiply-decimals", "%%=Multiply(1.5, 2)=%%", "3"),
    C("multiply-exact", "%%=Multiply(0.1, 3)=%%", "0.3"),
    C("divide", "%%=Divide(10, 4)=%%", "2.5"),
    C("divide-format", "%%=FormatNumber(Divide(10, 3), 'N2')=%%", "3.33"),
    C("mod", "%%=Mod(10, 3)=%% %%=Mod(-7, 3)=%%", "1 -1"),
    C("nested-math", "%%=Add(Multiply(2, 3), Subtract(10, Divide(8, 2)))=%%", "12"),
    # --- Lookups ---
    C("lookup", "%%=Lookup('Products', 'Name', 'SKU', 'B2')=%%", "Bucket"),
    C("lookup-value-ignores-case", "%%=Lookup('products', 'name', 'sku', 'C3')=%%", "Crate"),
    C("lookup-two-filters", "%%=Lookup('Products', 'SKU', 'Region', 'EU', 'Stock', 12)=%%", "c3"),
    C("lookup-no-match-is-empty", "[%%=Lookup('Products', 'Name', 'SKU', 'Z9')=%%]", "[]"),
    C("lookup-null-field", "%%=IsNull(Lookup('Products', 'Stock', 'SKU', 'D4'))=%%", "True"),
    C(
        "lookup-from-attribute",
        "%%=Lookup('Products', 'Price', 'SKU', FavouriteSku)=%%",
        "19.99",
        attrs={"favouritesku": "A1"},
    ),
    C("lookuprows-rowcount", "%%=RowCount(LookupRows('Products', 'Region', 'eu'))=%%", "3"),
    C(
        "lookuprows-row-field",
        "%%[ SET @rows = LookupRows('Products', 'Region', 'US') SET @row = Row(@rows, 1) ]%%"
        "%%=Field(@row, 'name')=%%",
        "Bucket",
    ),
    C(
        "lookuprows-loop",
        "%%[ SET @rows = LookupRows('Products', 'Region', 'EU') FOR @i = 1 TO RowCount(@rows) DO ]%%"
        "%%=Field(Row(@rows, @i), 'SKU')=%%;%%[ NEXT @i ]%%",
        "A1;c3;D4;",
    ),
    C(
        "lookuprows-empty",
        "%%[ SET @rows = LookupRows('Products', 'Region', 'Mars') ]%%"
        "%%=RowCount(@rows)=%% %%=Empty(@rows)=%% %%=IsNull(@rows)=%%",
        "0 True False",
    ),
    C(
        "lookuporderedrowscs",
        "%%=Field(Row(LookupOrderedRowsCS('Products', 1, 'Price ASC', 'Region', 'EU'), 1), 'SKU')=%%",
        "A1",
    ),
    C("lookuprowscs", "%%=RowCount(LookupRowsCS('Products', 'Region', 'EU'))=%%", "2"),
    C(
        "lookuporderedrows-desc",
        "%%[ SET @rows = LookupOrderedRows('Products', 2, 'Price DESC', 'Region', 'EU') ]%%"
        "%%=Field(Row(@rows, 1), 'Name')=%%,%%=Field(Row(@rows, 2), 'Name')=%%,%%=RowCount(@rows)=%%",
        "Crate,Drum,2",
    ),
    C(
        "lookuporderedrows-asc-all",
        "%%[ SET @rows = LookupOrderedRows('Products', 0, 'Name', 'Region', 'EU') ]%%"
        "%%=Field(Row(@rows, RowCount(@rows)), 'Name')=%%",
        "Drum",
    ),
    C(
        "field-missing-soft",
        "[%%=Field(Row(LookupRows('Products', 'SKU', 'A1'), 1), 'Nope', 0)=%%]",
        "[]",
    ),
    C("lookup-empty-de", "%%=RowCount(LookupRows('Empty DE', 'x', 'y'))=%%", "0"),
    # --- RaiseError ---
    C(
        "raiseerror",
        "before%%[ RaiseError('No offer for this subscriber', true) ]%%after",
        skipped="No offer for this subscriber",
    ),
    C(
        "raiseerror-conditional",
        "%%[ IF Empty(City) THEN RaiseError(Concat('no city for ', FirstName)) ENDIF ]%%",
        skipped="no city for ann",
    ),
    C("raiseerror-not-reached", "%%[ IF 1 == 2 THEN RaiseError('x') ENDIF ]%%sent", "sent"),
    # --- Compile errors: located ---
    E("unclosed-block", "ok\n  %%[ SET @x = 1 ", 2, 3, "not closed with ]%%"),
    E("unclosed-inline", "%%=v(@x)", 1, 1, "not closed with =%%"),
    E("unclosed-string", "%%[\nSET @x = 'abc\n]%%", 2, 10, "string is not closed"),
    E("unclosed-comment", "%%[ /* never ]%%", 1, 5, "comment is not closed"),
    E(
        "unknown-function",
        "%%[\n  SET @x = Frobnicate(1)\n]%%",
        2,
        12,
        "unknown function Frobnicate",
    ),
    E("wrong-arity", "x %%=Substring('a')=%%", 1, 6, "Substring takes 2 to 3 arguments, not 1"),
    E("lookup-pairs", "%%=Lookup('Products', 'Name', 'SKU')=%%", 1, 4, "at least 4"),
    E("lookuprows-pairs", "%%=LookupRows('Products', 'SKU', 'A1', 'Name')=%%", 1, 4, "pairs"),
    E("if-without-endif", "%%[ IF 1 == 1 THEN ]%%\nyes", 1, 5, "IF is not closed with ENDIF"),
    E("endif-without-if", "a\n%%[ ENDIF ]%%", 2, 5, "ENDIF without a matching IF"),
    E("else-without-if", "%%[ ELSE ]%%", 1, 5, "ELSE without a matching IF"),
    E("missing-then", "%%[ IF 1 == 1 ]%%x%%[ ENDIF ]%%", 1, 15, "expected THEN"),
    E("single-equals-in-if", "%%[ IF @x = 1 THEN ENDIF ]%%", 1, 11, "expected THEN"),
    E("next-mismatch", "%%[ FOR @i = 1 TO 2 DO NEXT @j ]%%", 1, 29, "does not match FOR @i"),
    E("for-without-next", "%%[ FOR @i = 1 TO 2 DO ]%%", 1, 5, "FOR is not closed with NEXT"),
    E("for-missing-do", "%%[ FOR @i = 1 TO 2 ]%%", 1, 21, "expected DO"),
    E("chained-comparison", "%%[ IF 1 < 2 < 3 THEN ENDIF ]%%", 1, 14, "cannot be chained"),
    E("bad-character", "%%[ SET @x = 1 + 2 ]%%", 1, 16, "unexpected character '+'"),
    E("missing-close-paren", "%%=Concat('a', 'b'=%%", 1, 19, ", or ) in the call of Concat"),
    E("empty-inline", "%%==%%", 1, 4, "expected a value"),
    E(
        "redirect-refused",
        "%%[\nSET @page = Redirect('https://example.com/')\n]%%",
        2,
        13,
        "landing pages",
    ),
    E(
        "upsertcontact-refused",
        "%%[ UpsertContact('sms', 1, 'Key', 1, 2) ]%%",
        1,
        5,
        "MobileConnect",
    ),
    E(
        "ssjs-refused",
        'a\n<script runat="server">Platform.Load("core", "1");</script>',
        2,
        1,
        "server-side JavaScript",
    ),
    E("typographic-quotes", "%%=Concat(“a”)=%%", 1, 11, "typographic quotes"),
    E("block-close-in-inline", "%%=v(@x) ]%%", 1, 10, "unexpected ]%%"),
    # --- Run-time errors: located ---
    E("divide-by-zero", "%%[\n SET @x = Divide(1, 0)\n]%%", 2, 11, "Divide: division by zero"),
    E("add-not-a-number", "%%=Add(FirstName, 1)=%%", 1, 4, "Add: the first value must be a number"),
    E("add-null", "%%=Add(@nothing, 1)=%%", 1, 4, "must be a number, not null"),
    E(
        "dateadd-bad-unit",
        "%%=DateAdd(Now(), 1, 'W')=%%",
        1,
        4,
        "the unit must be Y, M, D, H or MI",
    ),
    E("dateadd-not-a-date", "%%=DateAdd('soon', 1, 'D')=%%", 1, 4, "must be a date, not 'soon'"),
    E("dateadd-fraction", "%%=DateAdd(Now(), 1.5, 'D')=%%", 1, 4, "whole number"),
    E(
        "row-out-of-range",
        "%%=Row(LookupRows('Products', 'SKU', 'A1'), 2)=%%",
        1,
        4,
        "row 2 does not exist",
    ),
    E(
        "field-missing",
        "%%=Field(Row(LookupRows('Products', 'SKU', 'A1'), 1), 'Colour')=%%",
        1,
        4,
        "no field 'Colour'",
    ),
    E(
        "unknown-data-extension",
        "%%=Lookup('Missing', 'a', 'b', 'c')=%%",
        1,
        4,
        "no data extension is named 'Missing'",
    ),
    E(
        "lookup-unknown-column",
        "%%=Lookup('Products', 'Colour', 'SKU', 'A1')=%%",
        1,
        4,
        "no column 'Colour'",
    ),
    E(
        "rowset-as-text",
        "%%=LookupRows('Products', 'SKU', 'A1')=%%",
        1,
        1,
        "cannot be used as text",
    ),
    E("rowcount-of-text", "%%=RowCount('abc')=%%", 1, 4, "must be a rowset"),
    E("for-bound-not-number", "%%[ FOR @i = 1 TO 'many' DO NEXT ]%%", 1, 5, "the loop end must be"),
    E(
        "substring-bad-start",
        "%%=Substring('abc', 'x')=%%",
        1,
        4,
        "start position must be a number",
    ),
    E("format-bad-kind", "%%=Format(1, 'N', 'Money')=%%", 1, 4, "Date or Number"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    check(case, environment(case.data, SYSTEM))


def test_the_table_covers_enough_cases() -> None:
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_function_has_a_case() -> None:
    from tests.unit.test_ampscript_functions import CASES as FUNCTION_CASES
    from tests.unit.test_ampscript_rules import CASES as RULE_CASES
    from tests.unit.test_ampscript_writes import CASES as WRITE_CASES

    from sendwell.domain.ampscript.registry import FUNCTIONS

    used = " ".join(
        c.template.lower() for c in [*CASES, *RULE_CASES, *FUNCTION_CASES, *WRITE_CASES]
    )
    missing = [name for name in FUNCTIONS if f"{name}(" not in used]
    assert not missing
