"""``make chaos`` (``python -m bench.chaos``): signed ``/leads`` commands through a faulty world.

The real processes of the ``Procfile`` — two ``web`` replicas (``LEADS_RUN_SWEEP=false``, as
the README's scaling advice has it) and one ``worker`` — on a real ``redis-server`` with AOF
that this run starts on a free port, against the sandbox (the Person Leads API and Slack
stand-ins, in this process) misbehaving on purpose: callbacks dropped, sent three times or
to the other replica; bursts of API 500s, some after the search was created; Slack answering
429 to every Nth call; each process SIGKILLed and restarted; Redis shut down and restarted.
Each ``/leads`` goes to its own channel, so what the Slack stand-in saw there tells what
happened to it: delivered exactly once, told (to retry, or of a failure), duplicated, or
lost. Every process's log is scanned for error lines the injected faults do not explain.

Modules: :mod:`~bench.chaos.scenario` (options and the seeded timeline),
:mod:`~bench.chaos.rig` (Redis, the Procfile's processes), :mod:`~bench.chaos.run` (the
run), :mod:`~bench.chaos.outcomes` (what became of each command),
:mod:`~bench.chaos.logscan` (the logs), :mod:`~bench.chaos.report` (targets, text, JSON).
"""
