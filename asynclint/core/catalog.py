"""What a run must know of every rule before it loads any: codes, names, defaults.

The rules are libcst visitors, and importing libcst costs a warm run (every finding in the
result cache) more than the rest of it; with this table, such a run never loads them.
Generated from the rule classes, the single source of truth: `python -m asynclint.dev regen`
rewrites this file, and the registry refuses to load rules that disagree with it.
"""

from __future__ import annotations

from typing import NamedTuple


class RuleInfo(NamedTuple):
    """A rule as the configuration and the caches see it."""

    code: str
    name: str
    default_enabled: bool
    uses_project_index: bool
    #: `module:Class` of the rule's screen (`asynclint.rules.screen`), which decides without libcst where it may fire.
    screen: str


# BEGIN GENERATED
RULES: tuple[RuleInfo, ...] = (
    RuleInfo(code='ASL101', name='blocking-sleep', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:BlockingSleepScreen'),
    RuleInfo(code='ASL102', name='blocking-http', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:BlockingHttpScreen'),
    RuleInfo(code='ASL103', name='blocking-subprocess', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:BlockingSubprocessScreen'),
    RuleInfo(code='ASL104', name='blocking-file-io', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:BlockingFileIoScreen'),
    RuleInfo(code='ASL105', name='blocking-call', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:BlockingCallScreen'),
    RuleInfo(code='ASL106', name='nested-event-loop', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.screen:NestedEventLoopScreen'),
    RuleInfo(code='ASL107', name='blocking-call-via-helper', default_enabled=True, uses_project_index=True, screen='asynclint.rules.blocking.via_helper_screen:BlockingCallViaHelperScreen'),
    RuleInfo(code='ASL201', name='unawaited-coroutine', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:UnawaitedCoroutineScreen'),
    RuleInfo(code='ASL202', name='unused-coroutine-object', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:UnusedCoroutineObjectScreen'),
    RuleInfo(code='ASL203', name='unscheduled-coroutines', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:UnscheduledCoroutinesScreen'),
    RuleInfo(code='ASL204', name='coroutine-in-condition', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:CoroutineInConditionScreen'),
    RuleInfo(code='ASL205', name='async-callback-in-sync-api', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:AsyncCallbackInSyncApiScreen'),
    RuleInfo(code='ASL206', name='dangling-task', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:DanglingTaskScreen'),
    RuleInfo(code='ASL207', name='run-needs-coroutine', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:RunNeedsCoroutineScreen'),
    RuleInfo(code='ASL208', name='task-never-awaited', default_enabled=True, uses_project_index=True, screen='asynclint.rules.coroutines.screen:TaskNeverAwaitedScreen'),
    RuleInfo(code='ASL301', name='await-in-loop', default_enabled=False, uses_project_index=True, screen='asynclint.rules.concurrency.screen:AwaitInLoopScreen'),
    RuleInfo(code='ASL302', name='sequential-awaits', default_enabled=False, uses_project_index=True, screen='asynclint.rules.concurrency.screen:SequentialAwaitsScreen'),
    RuleInfo(code='ASL303', name='unbounded-gather', default_enabled=False, uses_project_index=True, screen='asynclint.rules.concurrency.screen:UnboundedGatherScreen'),
    RuleInfo(code='ASL401', name='swallowed-cancellation', default_enabled=True, uses_project_index=True, screen='asynclint.rules.cancellation.screen:SwallowedCancellationScreen'),
    RuleInfo(code='ASL402', name='discarded-gather-exceptions', default_enabled=True, uses_project_index=False, screen='asynclint.rules.cancellation.screen:DiscardedGatherExceptionsScreen'),
    RuleInfo(code='ASL501', name='legacy-run-loop', default_enabled=True, uses_project_index=False, screen='asynclint.rules.event_loop.screen:LegacyRunLoopScreen'),
    RuleInfo(code='ASL502', name='get-event-loop-in-coroutine', default_enabled=True, uses_project_index=False, screen='asynclint.rules.event_loop.screen:GetEventLoopInCoroutineScreen'),
    RuleInfo(code='ASL503', name='thread-lock-across-await', default_enabled=True, uses_project_index=True, screen='asynclint.rules.event_loop.screen:ThreadLockAcrossAwaitScreen'),
)
# END GENERATED
