"""Parse content tokens into a syntax tree (``nodes``); errors name line and column.

Blocks are only delimiters: an ``IF`` opened in one block may enclose text and inline
expressions and close in a later block, as Marketing Cloud content does::

    %%[ IF @tier == "Gold" THEN ]%% <p>Gold offer</p> %%[ ELSE ]%% <p>Offer</p> %%[ ENDIF ]%%

Grammar (keywords case-insensitive)::

    statement  := text | %%Name%% | %%= expr =%% | VAR @a, @b | SET @a = expr
                | IF expr THEN body (ELSEIF expr THEN body)* (ELSE body)? ENDIF
                | FOR @i = expr (TO | DOWNTO) expr DO body NEXT [@i] | call
                | expr [= expr]   (parsed, then ignored, as Marketing Cloud does)
    expr       := and (OR and)*          and := not (AND not)*
    not        := NOT not | comparison   comparison := primary (op primary)?
    primary    := string | number | TRUE | FALSE | @var | name | [name] | call | ( expr )
"""

from __future__ import annotations

from sendwell.domain.ampscript import lexer as t
from sendwell.domain.ampscript import nodes as n
from sendwell.domain.ampscript.errors import AmpscriptError
from sendwell.domain.ampscript.lexer import Token
from sendwell.domain.ampscript.values import literal_number

MAX_DEPTH = 64  # nesting of statements and parentheses; deeper content is refused, not crashed
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})
_EXPRESSION_KEYWORDS = frozenset({"TRUE", "FALSE", "NOT"})
_EXPRESSION_STARTS = frozenset({t.NAME, t.VARIABLE, t.STRING, t.NUMBER, t.OP})


def parse(text: str) -> tuple[n.Statement, ...]:
    """The statements of ``text``; raises AmpscriptError with the line and column of a fault."""
    return _Parser(t.tokenize(text)).program()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # --- token helpers ---

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.tokens[self.index]
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: str | None = None, what: str = "") -> Token:
        if not self.at(kind, value):
            wanted = what or value or kind
            raise self.error(f"expected {wanted}, found {self.peek().describe()}")
        return self.advance()

    def error(self, message: str, token: Token | None = None) -> AmpscriptError:
        token = token or self.peek()
        return AmpscriptError(message, token.line, token.column)

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep", token)

    # --- statements ---

    def program(self) -> tuple[n.Statement, ...]:
        body = self.body(())
        token = self.peek()
        if token.kind != t.EOF:
            raise self.error(f"{token.value} without a matching IF or FOR", token)
        return body

    def body(self, enders: tuple[str, ...]) -> tuple[n.Statement, ...]:
        """Statements up to a keyword in ``enders`` (not consumed) or the end of content."""
        statements: list[n.Statement] = []
        while True:
            token = self.peek()
            kind = token.kind
            if kind == t.EOF:
                return tuple(statements)
            if kind in (t.OPEN, t.CLOSE):
                self.advance()
            elif kind == t.TEXT:
                self.advance()
                statements.append(n.Text(token.line, token.column, token.value))
            elif kind == t.FIELD:
                self.advance()
                statements.append(
                    n.FieldString(
                        token.line, token.column, token.value.lower(), f"%%{token.value}%%"
                    )
                )
            elif kind == t.INLINE:
                self.advance()
                expression = self.expression()
                self.expect(t.END_INLINE, what="=%% after the inline expression")
                statements.append(n.Inline(token.line, token.column, expression))
            elif kind == t.KEYWORD and token.value in enders:
                return tuple(statements)
            elif kind == t.KEYWORD and token.value in ("ELSEIF", "ELSE", "ENDIF", "NEXT"):
                return tuple(statements)  # the caller reports it
            else:
                statements.append(self.statement())

    def statement(self) -> n.Statement:
        token = self.peek()
        if token.kind == t.KEYWORD and token.value not in _EXPRESSION_KEYWORDS:
            handler = {
                "VAR": self.declare,
                "SET": self.assign,
                "IF": self.if_statement,
                "FOR": self.for_statement,
            }.get(token.value)
            if handler is None:
                raise self.error(f"{token.value} cannot start a statement")
            return handler()
        if token.kind in _EXPRESSION_STARTS or token.kind == t.KEYWORD:
            return self.expression_statement(token)
        raise self.error(f"unexpected {token.describe()}")

    def expression_statement(self, start: Token) -> n.Statement:
        """A call as a statement is evaluated; any other expression (even ``@x = "v"``,
        which is not an assignment without SET) is parsed and ignored, as Marketing Cloud
        does."""
        expression = self.expression()
        if self.at(t.OP, "=") and not isinstance(expression, n.Call):
            self.advance()
            return n.Ignored(start.line, start.column, (expression, self.expression()))
        if isinstance(expression, n.Call):
            return n.Evaluate(start.line, start.column, expression)
        return n.Ignored(start.line, start.column, (expression,))

    def declare(self) -> n.Declare:
        start = self.advance()
        names = [self.variable_name()]
        while self.at(t.OP, ","):
            self.advance()
            names.append(self.variable_name())
        return n.Declare(start.line, start.column, tuple(names))

    def variable_name(self) -> str:
        return self.expect(t.VARIABLE, what="a @variable").value[1:].lower()

    def assign(self) -> n.Assign:
        start = self.advance()
        name = self.variable_name()
        self.expect(t.OP, "=", "= after the variable")
        return n.Assign(start.line, start.column, name, self.expression())

    def if_statement(self) -> n.If:
        start = self.advance()
        self.nest(start)
        branches = [self.branch()]
        otherwise: tuple[n.Statement, ...] = ()
        while True:
            token = self.peek()
            if token.kind == t.KEYWORD and token.value == "ELSEIF":
                self.advance()
                branches.append(self.branch())
            elif token.kind == t.KEYWORD and token.value == "ELSE":
                self.advance()
                otherwise = self.body(("ENDIF",))
                self.expect_ender(start, "ENDIF", "IF")
                break
            else:
                self.expect_ender(start, "ENDIF", "IF")
                break
        self.depth -= 1
        return n.If(start.line, start.column, tuple(branches), otherwise)

    def branch(self) -> n.Branch:
        condition = self.expression()
        self.expect(t.KEYWORD, "THEN", "THEN after the condition")
        return n.Branch(condition, self.body(("ELSEIF", "ELSE", "ENDIF")))

    def expect_ender(self, start: Token, ender: str, opener: str) -> None:
        token = self.peek()
        if token.kind == t.KEYWORD and token.value == ender:
            self.advance()
            return
        if token.kind == t.EOF:
            raise self.error(f"{opener} is not closed with {ender}", start)
        raise self.error(
            f"expected {ender} for the {opener} at line {start.line}, found {token.describe()}"
        )

    def for_statement(self) -> n.For:
        start = self.advance()
        self.nest(start)
        counter = self.variable_name()
        self.expect(t.OP, "=", "= after the loop counter")
        first = self.expression()
        direction = self.expect(t.KEYWORD, what="TO or DOWNTO")
        if direction.value not in ("TO", "DOWNTO"):
            raise self.error(f"expected TO or DOWNTO, found {direction.value}", direction)
        last = self.expression()
        self.expect(t.KEYWORD, "DO", "DO after the loop range")
        body = self.body(("NEXT",))
        self.expect_ender(start, "NEXT", "FOR")
        if self.at(t.VARIABLE):
            named = self.peek()
            if named.value[1:].lower() != counter:
                raise self.error(f"NEXT {named.value} does not match FOR @{counter}", named)
            self.advance()
        self.depth -= 1
        return n.For(
            start.line, start.column, counter, first, last, direction.value == "DOWNTO", body
        )

    # --- expressions ---

    def expression(self) -> n.Expression:
        left = self.conjunction()
        while self.at(t.KEYWORD, "OR"):
            token = self.advance()
            left = n.Logical(token.line, token.column, "OR", left, self.conjunction())
        return left

    def conjunction(self) -> n.Expression:
        left = self.negation()
        while self.at(t.KEYWORD, "AND"):
            token = self.advance()
            left = n.Logical(token.line, token.column, "AND", left, self.negation())
        return left

    def negation(self) -> n.Expression:
        if self.at(t.KEYWORD, "NOT"):
            token = self.advance()
            self.nest(token)
            operand = self.negation()
            self.depth -= 1
            return n.Not(token.line, token.column, operand)
        return self.comparison()

    def comparison(self) -> n.Expression:
        left = self.primary()
        token = self.peek()
        if token.kind == t.OP and token.value in _COMPARISONS:
            self.advance()
            right = self.primary()
            left = n.Comparison(token.line, token.column, token.value, left, right)
            after = self.peek()
            if after.kind == t.OP and after.value in _COMPARISONS:
                raise self.error("comparisons cannot be chained: use AND", after)
        return left

    def primary(self) -> n.Expression:
        token = self.advance()
        kind = token.kind
        if kind == t.STRING:
            return n.Literal(token.line, token.column, token.value)
        if kind == t.NUMBER:
            return n.Literal(token.line, token.column, literal_number(token.value))
        if kind == t.VARIABLE:
            return n.Variable(token.line, token.column, token.value[1:].lower())
        if kind == t.KEYWORD and token.value in ("TRUE", "FALSE"):
            return n.Literal(token.line, token.column, token.value == "TRUE")
        if kind == t.NAME:
            if self.at(t.OP, "("):
                return self.call(token)
            return n.Attribute(token.line, token.column, token.value.lower())
        if kind == t.OP and token.value == "(":
            self.nest(token)
            inner = self.expression()
            self.expect(t.OP, ")", "a closing )")
            self.depth -= 1
            return inner
        self.index -= 1
        raise self.error(f"expected a value, found {token.describe()}", token)

    def call(self, name: Token) -> n.Call:
        self.nest(name)
        self.advance()  # "("
        args: list[n.Expression] = []
        if not self.at(t.OP, ")"):
            args.append(self.expression())
            while self.at(t.OP, ","):
                self.advance()
                args.append(self.expression())
        self.expect(t.OP, ")", f", or ) in the call of {name.value}")
        self.depth -= 1
        return n.Call(name.line, name.column, name.value, tuple(args))
