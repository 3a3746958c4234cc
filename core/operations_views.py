"""The department's Operations page (department administrators): Celery queue depths,
stalled work and when each stalled-work sweep last ran (core.ops)."""

from django.shortcuts import render

from core.decorators import department_required


@department_required(admin=True)
def operations(request):
    from .ops import queue_depths, stalled_work, sweeps_last_run

    return render(
        request,
        "department/operations.html",
        {
            "queues": queue_depths(),
            "stalled": stalled_work(),
            "sweeps": sweeps_last_run(),
        },
    )
