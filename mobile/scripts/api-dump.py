#!/usr/bin/env python3
"""Reduces UniFFI-generated Kotlin or Swift to its public signatures.

Usage: api-dump.py kotlin|swift GENERATED_FILE > kintsugi.kt.api

The output is deterministic (it depends only on the input) and sorted by
declaration, so that a change of the Rust API shows as a small, readable
diff against the golden copy in mobile/api/. Comments, bodies, FFI
plumbing (FfiConverter*, Uniffi*, RustBuffer, ...) and private or
internal members are dropped; what an app developer can call or implement
is kept: objects and their methods and constructors, foreign-implemented
interfaces, records and their fields, enums and their cases, errors,
top-level functions.
"""

import re
import sys

# Names of generated plumbing, never part of the API an app uses.
PLUMBING = re.compile(
    r"^(Ffi|Uniffi|uniffi|RustBuffer|ForeignBytes|InternalException|Disposable|NoHandle|"
    r"RustCallStatus|NoPointer|UniffiHandleMap|UnsafeMutable|Unsafe|CallbackInterface|"
    r"_)|(Impl|FfiConverter\w*)$"
)


def strip_comments(text):
    """Removes /* */ and // comments (string literals are left alone)."""
    out, i, n = [], 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("/*", i):
            # Kotlin and Swift block comments nest.
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def logical_lines(text):
    """Joins lines while parentheses or brackets are open, so that each
    declaration is one line; collapses whitespace."""
    lines, current, depth = [], [], 0
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        # Characters inside string literals do not count.
        bare = re.sub(r'"(\\.|[^"\\])*"', '""', line)
        depth += bare.count("(") + bare.count("[") - bare.count(")") - bare.count("]")
        current.append(line)
        # A modifier alone on its line (`public`) belongs to the next one.
        if re.fullmatch(r"((public|open|final|internal)\s*)+", line):
            continue
        if depth <= 0:
            depth = 0
            joined = " ".join(current)
            joined = re.sub(r"\s+", " ", joined)
            joined = re.sub(r"\(\s+", "(", joined)
            joined = re.sub(r"\s+([,)\]])", r"\1", joined)
            joined = re.sub(r",\)", ")", joined)
            lines.append(joined)
            current = []
    return lines


def braces(line):
    bare = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    return bare.count("{") - bare.count("}")


def head(line):
    """The declaration without its body, trailing brace or (for a Kotlin
    constructor) the delegation to another constructor."""
    if line.startswith("constructor("):
        depth = 0
        for i, c in enumerate(line):
            depth += {"(": 1, ")": -1}.get(c, 0)
            if depth == 0 and c == ")":
                return line[: i + 1]
    line = re.sub(r"\s*\{.*$", "", line) if "{" in line else line
    return line.strip()


def clean(line, language):
    line = line.replace("`", "")
    if language == "kotlin":
        line = line.replace("app.kintsugi.", "").replace("kotlin.", "")
        line = re.sub(r"^public ", "", line)
        line = line.replace("::class", "")
        line = re.sub(r"\)\s*override ", ") ", line)
        line = re.sub(r"^override ", "", line)
    else:
        line = re.sub(r"\s*->", " ->", line)
        line = re.sub(r"\)\s*(throws|async)", r") \1", line)
    return re.sub(r"\s+", " ", line).strip()


def decl_name(line):
    m = re.search(
        r"\b(?:class|interface|object|protocol|struct|enum|extension|typealias|fun|func|actor)\s+(?:`)?([A-Za-z_][\w.]*)",
        line,
    )
    return m.group(1) if m else None


def kotlin_top(line):
    line = re.sub(r"^@Throws\([^)]*\) ", "", line)
    if re.match(r"^(internal|private|protected)\b", line) or line.startswith("@"):
        return False
    if not re.match(
        r"^(public )?(open |data |sealed |enum |abstract )*(class|interface|object|fun|suspend fun|typealias)\b",
        line,
    ):
        return False
    name = decl_name(line)
    return bool(name) and not PLUMBING.search(name)


def kotlin_member(line):
    line = head(line)
    line = re.sub(r"^@Throws\([^)]*\) ?", "", line)
    if re.match(r"^(internal|private|protected|override|companion|init\b|@|return|val \w+ = )", line):
        return False
    if re.search(r"\b(Uniffi\w*|NoHandle|uniffi\w*)\b", line):
        return False
    return bool(
        re.match(r"^(public )?(open |data |sealed |abstract |suspend )*(fun|val|var|class|object|constructor)\b", line)
        # Enum cases; the last one ends with `;` when the enum has a body.
        or re.match(r"^[A-Z][A-Z0-9_]*[,;]?$", line)
    )


def swift_top(line):
    if not re.match(r"^(public |open )", line) and not line.startswith("extension "):
        return False
    name = decl_name(line)
    return bool(name) and not PLUMBING.search(name) and not re.search(r"FfiConverter|Uniffi", line)


def swift_member(line, parent):
    if re.search(r"\b(FfiConverter\w*|Uniffi\w*|uniffi\w*|NoHandle|NoPointer)\b", line):
        return False
    if re.search(r"\b(required init|fileprivate|private|internal)\b", line):
        return False
    if parent.startswith("public protocol"):
        return bool(re.match(r"^(func|var|init)\b", line))
    if parent.startswith("open class"):
        # Its methods are listed with the `XProtocol` it implements.
        return bool(re.match(r"^(public (convenience )?init|public static func)\b", line))
    return bool(re.match(r"^(public |open |case )", line))


def kotlin_throws(lines):
    """What each object method throws, from the class that implements it:
    the generated `XInterface` declares the methods (with their default
    arguments) but not their `@Throws`."""
    throws = {}
    for line in lines:
        m = re.match(r"^(@Throws\([^)]*\))\s*override (?:suspend )?fun `?(\w+)`?\(", line)
        if m:
            throws.setdefault(m.group(2), set()).add(m.group(1))
    return throws


def dump(text, language):
    lines = logical_lines(strip_comments(text))
    if language == "kotlin":
        # `@Throws(X::class)` goes with the declaration it annotates (other
        # annotations in between, such as `@Suppress`, are dropped).
        merged = []
        for line in lines:
            if merged and merged[-1].startswith("@Throws(") and braces(merged[-1]) == 0:
                if not line.startswith("@"):
                    merged[-1] = merged[-1] + " " + line
            else:
                merged.append(line)
        lines = merged
    throws = kotlin_throws(lines) if language == "kotlin" else {}
    blocks, depth, block = [], 0, None
    for line in lines:
        if depth == 0 and line == "{":
            pass
        elif depth == 0:
            keep = kotlin_top(line) if language == "kotlin" else swift_top(line)
            if keep:
                block = [clean(head(line), language)]
                blocks.append(block)
            else:
                block = None
        elif depth == 1 and block is not None:
            keep = kotlin_member(line) if language == "kotlin" else swift_member(line, block[0])
            if keep:
                member = clean(head(line), language).rstrip(",;")
                m = re.match(r"^(?:suspend )?fun (\w+)\(", member)
                if m and block[0].startswith("interface ") and block[0].endswith("Interface"):
                    found = throws.get(m.group(1), set())
                    if len(found) == 1:
                        member = clean(next(iter(found)), language) + " " + member
                block.append("    " + member)
        depth += braces(line)
        if depth < 0:
            depth = 0
    # Empty extensions (`extension X: Equatable {}`) stay: they are conformances.
    blocks.sort(key=lambda b: (decl_name(b[0]) or "", b[0]))
    out = []
    for b in blocks:
        out.extend(b)
        out.append("")
    return "\n".join(out)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("kotlin", "swift"):
        sys.exit(__doc__)
    with open(sys.argv[2], encoding="utf-8") as f:
        sys.stdout.write(dump(f.read(), sys.argv[1]))


if __name__ == "__main__":
    main()
