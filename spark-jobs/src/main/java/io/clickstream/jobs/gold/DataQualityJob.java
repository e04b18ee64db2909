package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;

/** Gold {@code data_quality} for a day; throws (a failed run, a failed Airflow task) when a hard check fails, after recording it. */
public final class DataQualityJob extends GoldJob {
    public DataQualityJob(GoldContext context) {
        super(context);
        Tables.createIfNotExists(spark, paths.goldDataQuality(), DataQuality.TABLE,
                "Gold: data quality checks per UTC day and layer; hard checks fail the run.", "check_date");
    }

    @Override
    public String name() {
        return "data-quality";
    }

    @Override
    public String run(LocalDate day) {
        GoldIo.requireSilver(spark, paths);
        List<DataQuality.Check> checks = DataQuality.run(spark, paths, context.onDay(day), day);
        GoldIo.replaceDay(DataQuality.rows(spark, checks, day), paths.goldDataQuality(), "check_date", day);
        List<DataQuality.Check> failed = checks.stream().filter(check -> !check.passed()).toList();
        if (!failed.isEmpty()) {
            throw new IllegalStateException("hard data quality checks failed for " + day + ": " + failed.stream()
                    .map(check -> check.name() + " = " + check.value() + " (expected " + check.details() + ")").collect(Collectors.joining("; ")));
        }
        return checks.size() + " checks passed (" + checks.stream().map(check -> check.name() + " " + check.value())
                .collect(Collectors.joining(", ")) + ")";
    }
}
