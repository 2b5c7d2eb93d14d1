"""History (django-simple-history) at the cost imports can afford: they write it by the thousand."""

from simple_history import utils
from simple_history.manager import HistoricalQuerySet, HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_m2m_records, pre_create_historical_m2m_records


class BuiltHistoryManager(HistoryManager.from_queryset(HistoricalQuerySet)):
    """The library's history manager, its class built once.

    The library builds the manager's class (from_queryset, which inspects every queryset method)
    each time `instance.history` is read, and it reads it for every history row it writes: about a
    third of a millisecond a row, seconds for a spreadsheet of 10,000 rows."""

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        if queryset_class is HistoricalQuerySet:
            return cls
        return super().from_queryset(queryset_class, class_name)


class QuickHistoricalRecords(HistoricalRecords):
    """HistoricalRecords whose manager class is built once (BuiltHistoryManager)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", BuiltHistoryManager)
        super().__init__(*args, **kwargs)


class LinkedHistoricalRecords(QuickHistoricalRecords):
    """History whose rows also keep the record's many-to-many links (m2m_fields), copied cheaply.

    The library copies the links of every history row by loading each link with both records it
    joins (a join and two model instances per link). Here the links are read as their ids alone,
    which is all a history link row holds; and a writer that has just made the links itself (an
    import creating a commitment) hands them over in `instance._history_links` (field name -> the
    link rows' values), so the copy costs no query at all."""

    def create_historical_record_m2ms(self, history_instance, instance):
        given = getattr(instance, "_history_links", {})
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            through = getattr(type(instance), field.name).through
            columns = [f.attname for f in through._meta.fields]
            rows = given.get(field.name)
            if rows is None:
                own_side = utils.get_m2m_field_name(field)
                rows = through.objects.filter(**{own_side: instance}).values(*columns)
            insert_rows = [
                m2m_history_model(history=history_instance, **{column: row[column] for column in columns})
                for row in rows
            ]
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model,
                rows=insert_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
            created_rows = m2m_history_model.objects.bulk_create(insert_rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
