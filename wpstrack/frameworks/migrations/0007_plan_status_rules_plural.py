# Plan.status_rule becomes Plan.status_rules: the plan's block holds its status rules (default
# tolerance and roll-up), and that is the name the dashboards read. Renamed, so nothing is lost.

import wpstrack.frameworks.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('frameworks', '0006_status_rules'),
    ]

    operations = [
        migrations.RenameField(
            model_name='plan',
            old_name='status_rule',
            new_name='status_rules',
        ),
        migrations.AlterField(
            model_name='plan',
            name='status_rules',
            field=models.JSONField(blank=True, default=wpstrack.frameworks.models.default_plan_status_rule, help_text="The plan file's status block: {'tolerance': share of the planned change a figure may lag and still be at risk, 'rollup': 'worst' or 'share', 'rollup_share': share}.", verbose_name='status rules'),
        ),
    ]
