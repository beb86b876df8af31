"""Watches: recurring searches, each run posting only the people its audience has not seen.

``schedule`` (when runs fall due), ``store`` (watches, runs and their budget in Redis),
``runner`` (one run, exactly once, resumable), ``scheduler`` (the pass that finds due runs).
Fronts deliver a run's results through a :class:`~shared.watch.runner.RunDelivery`.
"""
