"""What every stage may share: the config base, model files, MQTT credentials, redaction.

Imports nothing of ours but `anpr.types`, so any stage can use it without reaching up.
"""
