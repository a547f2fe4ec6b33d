"""Database columns generated from the metric catalogue (one column per metric)."""

from __future__ import annotations

from django.db import models

from adjudication.domain.metric_defs import Kind, MetricDef


def metric_field(metric: MetricDef) -> models.Field:
    """A nullable column for one metric: null means "the annotations cannot support it"."""
    help_text = f"{metric.definition} [{metric.unit}]" if metric.unit else metric.definition
    if metric.kind is Kind.CONTINUOUS:
        return models.FloatField(null=True, blank=True, help_text=help_text)
    if metric.kind is Kind.BOOLEAN:
        return models.BooleanField(null=True, blank=True, help_text=help_text)
    if metric.kind is Kind.ORDINAL:
        return models.SmallIntegerField(null=True, blank=True, help_text=help_text)
    return models.IntegerField(null=True, blank=True, help_text=help_text)


def add_metric_columns(model: type[models.Model], metrics: tuple[MetricDef, ...]) -> None:
    for metric in metrics:
        model.add_to_class(metric.name, metric_field(metric))


def add_consensus_columns(model: type[models.Model], metrics: tuple[MetricDef, ...]) -> None:
    """A value column and a ``<metric>_source`` column per metric (SPEC §6, §10).

    The consensus of a count is the mean of the two reads (e.g. 12 and 13 struts → 12.5), so
    count columns are floats here: an integer column would silently truncate the mean.
    """
    for metric in metrics:
        if metric.kind is Kind.COUNT:
            help_text = f"Mean of the two reads' {metric.name} ({metric.definition})"
            model.add_to_class(
                metric.name, models.FloatField(null=True, blank=True, help_text=help_text)
            )
        else:
            model.add_to_class(metric.name, metric_field(metric))
        model.add_to_class(
            f"{metric.name}_source",
            models.CharField(max_length=16, blank=True, default=""),
        )
