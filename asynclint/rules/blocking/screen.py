"""The screens of the blocking-call rules (ASL1xx): what each rule's class tells the engine
before libcst reads a file.

A rule's class has its screen as first base (`class BlockingSleep(BlockingSleepScreen,
BlockingCallRule)`), so the rule and its screen are one class to the registry and the tests;
the engine, which screens with these alone, loads libcst and the rules only for a file where
some rule may fire. Nothing here may import libcst. See `asynclint.rules.screen` for the protocol.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from asynclint.analysis import names as _names
from asynclint.analysis.astwalk import FileFacts
from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.options import BlockingCallOptions
from asynclint.rules.screen import Screen, typable


class BlockingScreen(Screen):
    """A call, in async code, to a known blocking function or receiver method."""

    requires_async_def = True
    uses_project_index = True  # a receiver's type may be declared in another module (`ReceiverTypes.classes_of`)
    #: Qualified names of functions that block.
    calls: ClassVar[frozenset[str]] = frozenset()
    #: Receiver type tag -> names of its methods that block.
    methods: ClassVar[Mapping[str, frozenset[str]]] = {}

    @classmethod
    def calls_for(cls, options: Mapping[type, Any]) -> frozenset[str]:
        """The qualified names this rule reports under these rule options (they may add to them)."""
        return cls.calls

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A call in async code that may resolve to a blocking function, or a blocking method's name
        # where a receiver can have a known type (every known type starts at a constructor call).
        calls = cls.calls_for(options)
        return {
            b
            for c, b in facts.async_calls
            if not c.names.isdisjoint(calls)
            or (c.attr and typable(c, cls.methods, facts, project))
        }


class BlockingSleepScreen(BlockingScreen):
    calls = _names.SLEEP_CALLS
    #: Its fix is safe where the project's async library is known (`_names.project_library`).
    uses_project_index = True
    triggers = ("sleep",)  # `time.sleep`, however imported, is spelled in the file


class BlockingHttpScreen(BlockingScreen):
    calls = _names.HTTP_CALLS
    methods = _names.HTTP_METHODS


class BlockingSubprocessScreen(BlockingScreen):
    calls = _names.SUBPROCESS_CALLS
    methods = _names.SUBPROCESS_METHODS


class BlockingFileIoScreen(BlockingScreen):
    calls = _names.FILE_CALLS
    methods = _names.PATH_METHODS


class BlockingCallScreen(BlockingScreen):
    calls = _names.BLOCKING_CALLS
    methods = _names.BLOCKING_METHODS

    @classmethod
    def calls_for(cls, options: Mapping[type, Any]) -> frozenset[str]:
        configured = options.get(BlockingCallOptions)
        extra = configured.blocking_calls if configured is not None else ()
        return cls.calls | frozenset(extra) if extra else cls.calls


class NestedEventLoopScreen(BlockingScreen):
    calls = _names.LOOP_RUNNERS
    methods = _names.LOOP_METHODS
