"""Reading config files defensively: who may write them, how big they may be, how far YAML may expand.

A config file decides which hosts the crawler contacts and who receives email, so a file others can
write is refused (as urlwatch refuses writable job files). YAML aliases let a 1 KB file expand into
gigabytes ("billion laughs"): the composed node graph is measured with aliases expanded *before*
any Python object is built, and files over a size limit are not parsed at all.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024  # per file; the shipped files are ~20 KB
MAX_ALIASES = 100  # the shipped files use none
MAX_NODES = 200_000  # nodes with aliases expanded; the biggest shipped file has ~1,100


class ConfigFileError(Exception):
    """A file refused before its content is looked at; the message is one line without the file name."""


def check_not_writable_by_others(path: Path) -> str | None:
    """Why ``path`` (a config file or folder) is refused because group or others may write it, else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # a missing file is reported by whoever reads it
    if os.name != "posix" or not mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    who = "group and others" if mode & stat.S_IWGRP and mode & stat.S_IWOTH else (
        "its group" if mode & stat.S_IWGRP else "others")
    return (f"writable by {who} (mode {stat.S_IMODE(mode):o}): anyone who can edit it decides what is "
            f"fetched and who is emailed; fix with: chmod go-w {path}")


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases while composing (PyYAML's pure-Python composer)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ConfigFileError(f"more than {MAX_ALIASES} YAML aliases (*name): not accepted in config files")
        return super().compose_node(parent, index)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes the document would have with every alias expanded (a shared node counts each time)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # entered, children not yet measured: meeting one again is a cycle
    # Iterative post-order over the DAG: a deep chain of aliases must not hit the recursion limit.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children = _children(node)
        if done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise ConfigFileError("a YAML alias refers to its own anchor (a recursive structure): not accepted")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


# libyaml, when PyYAML was built with it: the same nodes and values ~10x faster (every crawl process reads
# the config: ~60 ms in Python for a 1000-URL source list and a case file). Its parser stops at 1000 levels
# of nesting; anything it rejects is read again by the pure-Python loader, whose error is the one shown. A file
# with a tab takes the pure-Python loader alone: libyaml accepts tabs between flow items that it refuses.
_C_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def _aliases(root: yaml.Node) -> int:
    """The ``*name`` references in a composed document: every edge to a node already reached is one
    (each node is defined once; every further edge to it is an alias)."""
    seen = {id(root)}
    aliases = 0
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            if id(child) in seen:
                aliases += 1
            else:
                seen.add(id(child))
                stack.append(child)
    return aliases


def _read_with_libyaml(text: str) -> Any:
    """``read_limited_yaml``'s checks on a document libyaml composed: the alias count, then the expanded size,
    both before any Python object is built."""
    loader = _C_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _aliases(node) > MAX_ALIASES:
            raise ConfigFileError(f"more than {MAX_ALIASES} YAML aliases (*name): not accepted in config files")
        if _expanded_size(node) > MAX_NODES:
            raise ConfigFileError(f"YAML aliases expand it to more than {MAX_NODES:,} values: not accepted")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_limited_yaml(path: Path) -> Any:
    """Parse one YAML file within the limits; ConfigFileError if refused, yaml.YAMLError if malformed.

    Raises OSError/UnicodeDecodeError as ``Path.read_text`` does.
    """
    with path.open("rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigFileError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not read (config files are small)")
    text = raw.decode("utf-8")
    if _C_LOADER is not None and "\t" not in text:  # libyaml takes tabs where PyYAML refuses them ("[1,\t2]")
        try:
            return _read_with_libyaml(text)
        except yaml.YAMLError:
            pass  # malformed: the pure-Python loader below says where, with the offending line quoted
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise ConfigFileError(f"YAML aliases expand it to more than {MAX_NODES:,} values: not accepted")
        return loader.construct_document(node)
    finally:
        loader.dispose()
