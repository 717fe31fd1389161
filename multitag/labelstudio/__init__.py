"""multitag inside Label Studio: an ML backend (``multitag labelstudio-backend P``) that
pre-annotates tasks, stores every submitted annotation through the same validation as
``multitag project import``, retrains in the background and keeps the Label Studio project's
predictions, informativeness and queue up to date.

* :mod:`.client`: the few Label Studio API calls the backend makes;
* :mod:`.scoring`: the model's predictions as Label Studio predictions (confidence, informativeness);
* :mod:`.answers`: webhook annotations into the store (exactly once), deletions, reconciliation;
* :mod:`.loop`: the active-learning loop (retrain, refresh predictions, add the next batch);
* :mod:`.app`: the Starlette app speaking the ML backend protocol.
"""
