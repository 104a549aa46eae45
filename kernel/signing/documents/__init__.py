"""Verification of the electronic signatures of documents, offline: PAdES (pyHanko), detached
CAdES (pyHanko), XAdES (signxml for the XML signature, pyhanko-certvalidator for the certificate
path). ``verify.verify_file`` runs inside a sandbox worker (``kernel.sandbox``): the GED verifies
what is filed, the repository verifies again what is transferred. Import nothing heavy here: the
servers reach these modules only by name, in the worker."""
