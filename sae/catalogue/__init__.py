"""The catalogue of the archives kept (OAIS Data Management, ISO 14721 §4.1.1.4).

``describe``: the rows one acceptance records (units, objects and their links); ``search``:
finding and reading them, always within one organisation.
"""
