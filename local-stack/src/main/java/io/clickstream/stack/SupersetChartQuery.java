package io.clickstream.stack;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SQL Superset runs for one of our charts, built from the chart's exported params the way
 * Superset builds it (dataset SQL as a subquery, time range, filters, group-by, metrics, order,
 * row limit), for the viz types and options the bundle uses; anything else is refused, so a chart
 * this cannot read is never passed unchecked. Used by the end-to-end test and the dashboard
 * benchmark.
 *
 * @param sql     the query
 * @param columns the dataset columns the chart uses
 */
public record SupersetChartQuery(String sql, Set<String> columns) {
    private static final Pattern DATEADD = Pattern.compile("DATEADD\\(DATETIME\\(\"(now|today)\"\\), -(\\d+), (minute|hour|day)\\) : now");

    public static SupersetChartQuery of(JsonNode params, String datasetSql) {
        Set<String> columns = new LinkedHashSet<>();
        String viz = params.get("viz_type").asText();
        List<String> where = new ArrayList<>();
        String timeColumn = params.hasNonNull("granularity_sqla") ? params.get("granularity_sqla").asText()
                : params.hasNonNull("x_axis") ? params.get("x_axis").asText() : null;
        String range = params.path("time_range").asText("No filter");
        if (!range.equals("No filter")) {
            if (timeColumn == null) {
                throw new IllegalArgumentException(viz + ": a time range without a time column");
            }
            columns.add(timeColumn);
            Matcher dateAdd = DATEADD.matcher(range);
            if (dateAdd.matches()) {
                // Superset's advanced range "start : end", the start N units before now (or before today's midnight, UTC).
                String base = dateAdd.group(1).equals("now") ? "current_timestamp" : "current_date";
                where.add(timeColumn + " >= " + base + " - INTERVAL '" + dateAdd.group(2) + "' " + dateAdd.group(3).toUpperCase());
            }
            else {
                throw new IllegalArgumentException("time range not understood here: " + range);
            }
        }
        for (JsonNode filter : params.path("adhoc_filters")) {
            if (!filter.path("expressionType").asText().equals("SIMPLE") || !filter.path("operator").asText().equals("==")) {
                throw new IllegalArgumentException("filter not understood here: " + filter);
            }
            columns.add(filter.get("subject").asText());
            where.add(filter.get("subject").asText() + " = '" + filter.get("comparator").asText().replace("'", "''") + "'");
        }
        List<String> metrics = new ArrayList<>();
        params.path("metrics").forEach(metric -> metrics.add(metric(metric, columns)));
        if (params.has("metric")) {
            metrics.add(metric(params.get("metric"), columns));
        }
        List<String> groups = new ArrayList<>();
        if (params.hasNonNull("x_axis")) {
            groups.add(params.get("x_axis").asText());
        }
        params.path("groupby").forEach(group -> groups.add(group.asText()));
        columns.addAll(groups);

        String select;
        String order;
        switch (viz) {
            case "echarts_timeseries_line", "echarts_timeseries_bar", "big_number" -> {
                select = String.join(", ", groups) + ", " + String.join(", ", metrics);
                order = " GROUP BY " + String.join(", ", groups) + " ORDER BY " + String.join(", ", groups);
            }
            case "big_number_total" -> {
                select = String.join(", ", metrics);
                order = "";
            }
            case "funnel" -> {
                select = String.join(", ", groups) + ", " + String.join(", ", metrics);
                order = " GROUP BY " + String.join(", ", groups) + " ORDER BY " + String.join(", ", groups);
            }
            case "table" -> {
                if (params.path("query_mode").asText().equals("raw")) {
                    List<String> shown = new ArrayList<>();
                    params.get("all_columns").forEach(column -> shown.add(column.asText()));
                    columns.addAll(shown);
                    select = String.join(", ", shown);
                    List<String> by = new ArrayList<>();
                    for (JsonNode orderBy : params.path("order_by_cols")) {
                        String[] pair = orderBy.asText().replaceAll("[\\[\\]\" ]", "").split(",");
                        columns.add(pair[0]);
                        by.add(pair[0] + (Boolean.parseBoolean(pair[1]) ? " ASC" : " DESC"));
                    }
                    order = by.isEmpty() ? "" : " ORDER BY " + String.join(", ", by);
                }
                else {
                    select = String.join(", ", groups) + ", " + String.join(", ", metrics);
                    order = " GROUP BY " + String.join(", ", groups) + " ORDER BY " + metrics.get(0) + (params.path("order_desc").asBoolean() ? " DESC" : "");
                }
            }
            default -> throw new IllegalArgumentException("viz type not understood here: " + viz);
        }
        String sql = "SELECT " + select + " FROM (" + datasetSql + ") AS dataset"
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where)) + order
                + " LIMIT " + params.path("row_limit").asInt(10_000);
        return new SupersetChartQuery(sql, columns);
    }

    private static String metric(JsonNode metric, Set<String> columns) {
        if (!metric.path("expressionType").asText().equals("SIMPLE")) {
            throw new IllegalArgumentException("metric not understood here: " + metric);
        }
        String column = metric.at("/column/column_name").asText();
        columns.add(column);
        return switch (metric.get("aggregate").asText()) {
            case "SUM", "MAX", "MIN", "AVG", "COUNT" -> metric.get("aggregate").asText() + "(" + column + ")";
            case "COUNT_DISTINCT" -> "COUNT(DISTINCT " + column + ")";
            default -> throw new IllegalArgumentException("aggregate not understood here: " + metric);
        };
    }
}
