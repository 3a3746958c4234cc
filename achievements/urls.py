from django.urls import path

from . import records_views, views

app_name = "achievements"

urlpatterns = [
    path("submissions/", views.submission_list, name="submission_list"),
    path("submissions/upload/", views.submission_upload, name="submission_upload"),
    path(
        "submissions/template.<str:fmt>",
        views.submission_template,
        name="submission_template",
    ),
    path("submissions/rules/", views.rules_page, name="rules"),
    path("submissions/register.zip", views.register_export, name="register_export"),
    path("submissions/<str:public_id>/", views.submission_detail, name="submission_detail"),
    path(
        "submissions/<str:public_id>/commit/",
        views.submission_commit_view,
        name="submission_commit",
    ),
    path(
        "submissions/<str:public_id>/discard/",
        views.submission_discard_view,
        name="submission_discard",
    ),
    path(
        "submissions/<str:public_id>/issues.<str:fmt>",
        views.submission_issues_download,
        name="submission_issues",
    ),
    path("learners/", records_views.learner_list, name="learner_list"),
    path("learners/new/", records_views.learner_create, name="learner_create"),
    path("learners/<str:public_id>/", records_views.learner_detail, name="learner_detail"),
    path(
        "learners/<str:public_id>/identity/",
        records_views.learner_correct,
        name="learner_correct",
    ),
    path(
        "learners/<str:public_id>/outcomes/new/",
        records_views.outcome_add,
        name="outcome_add",
    ),
    path("learners/<str:public_id>/awards/new/", records_views.award_add, name="award_add"),
    path(
        "outcomes/<str:public_id>/withdraw/",
        records_views.outcome_withdraw,
        name="outcome_withdraw",
    ),
    path("outcomes/<str:public_id>/move/", records_views.outcome_move, name="outcome_move"),
    path(
        "outcomes/<str:public_id>/correct/",
        records_views.outcome_correct,
        name="outcome_correct",
    ),
    path(
        "lookup/training-product/",
        records_views.product_lookup,
        name="product_lookup",
    ),
]
