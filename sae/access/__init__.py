"""Access to the archives (OAIS Access, ISO 14721 §4.1.1.6): communication under the
communicability delays of the Code du patrimoine (SEDA ``ArchiveDeliveryRequest`` and its reply
with a DIP), the archivists' derogations, and the access register of every communication and
download."""
