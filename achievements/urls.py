from django.urls import path

from . import views, views_records

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
    path("learners/", views_records.learner_list, name="learner_list"),
    path("learners/new/", views_records.learner_create, name="learner_create"),
    path("learners/<str:public_id>/", views_records.learner_detail, name="learner_detail"),
    path(
        "learners/<str:public_id>/identity/",
        views_records.learner_correct,
        name="learner_correct",
    ),
    path(
        "learners/<str:public_id>/outcomes/new/",
        views_records.outcome_add,
        name="outcome_add",
    ),
    path("learners/<str:public_id>/awards/new/", views_records.award_add, name="award_add"),
    path(
        "outcomes/<str:public_id>/withdraw/",
        views_records.outcome_withdraw,
        name="outcome_withdraw",
    ),
    path("outcomes/<str:public_id>/move/", views_records.outcome_move, name="outcome_move"),
    path(
        "outcomes/<str:public_id>/correct/",
        views_records.outcome_correct,
        name="outcome_correct",
    ),
    path(
        "lookup/training-product/",
        views_records.product_lookup,
        name="product_lookup",
    ),
]
