package io.clickstream.jobs.gold;

import io.clickstream.jobs.lake.Tables;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;

/**
 * Gold {@code funnels} for a day: every funnel of the configuration, per step. Reads silver for the
 * day before (to cut sessions the same way as the sessions job), the day and the day after (steps
 * after midnight).
 */
public final class FunnelsJob extends GoldJob {
    public FunnelsJob(GoldContext context) {
        super(context);
        Tables.createIfNotExists(spark, paths.goldFunnels(), Funnels.TABLE,
                "Gold: conversion funnels from the configuration, per UTC day and step.", "metric_date");
    }

    @Override
    public String name() {
        return "funnels";
    }

    @Override
    public String run(LocalDate day) {
        GoldIo.replaceDay(Funnels.compute(spark, context.aroundDay(day), config.gold().funnels(), day), paths.goldFunnels(), "metric_date", day);
        List<Row> written = GoldIo.day(spark, paths.goldFunnels(), "metric_date", day).orderBy("funnel", "step").collectAsList();
        return config.gold().funnels().stream().map(funnel -> funnel.name() + " " + written.stream()
                .filter(row -> row.getAs("funnel").equals(funnel.name()))
                .map(row -> String.valueOf(row.<Long>getAs("students"))).collect(Collectors.joining(" > ")))
                .collect(Collectors.joining(", ")) + " students";
    }
}
