"""Control room: receives the cars' events over MQTT, de-duplicates and stores them, shows them on a map.

Installed with the `[control]` extra (Starlette, uvicorn, psycopg); nothing here runs in a car.
"""
