"""The only writers of study data. Each service runs in ``transaction.atomic(durable=True)``,
writes one ``AuditEvent`` in the same transaction and schedules tasks on commit."""
