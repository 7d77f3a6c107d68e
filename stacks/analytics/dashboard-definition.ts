/**
 * A small vocabulary for QuickSight dashboard definitions (`aws_quicksight_dashboard.definition`),
 * written as the provider's Terraform schema spells it (snake_case blocks, passed through as is):
 * fields, the visuals the dashboards use, sorting and a grid layout. Plain objects only, so a
 * definition is built in microseconds at synth.
 */

/** A Terraform block of the definition. */
export type Block = { readonly [key: string]: unknown };

/** Grid columns of a QuickSight sheet. */
const GRID_COLUMNS = 36;

export type DateGranularity = "MINUTE" | "HOUR" | "DAY" | "WEEK" | "MONTH";
type SimpleAggregation = "SUM" | "MAX" | "MIN" | "AVERAGE";

const column = (dataSet: string, name: string) => ({ data_set_identifier: dataSet, column_name: name });

/**
 * Fields of one visual over one dataset; field ids are `<visual>-<column>-<role>` (QuickSight ids
 * allow letters, digits, `_` and `-`), unique in the dashboard.
 */
export function fieldsOf(visualId: string, dataSet: string) {
  const id = (name: string, role: string) => `${visualId}-${name}-${role}`;
  const numerical = (name: string, aggregation: SimpleAggregation): Block => ({
    numerical_measure_field: {
      field_id: id(name, aggregation.toLowerCase()),
      column: column(dataSet, name),
      aggregation_function: { simple_numerical_aggregation: aggregation },
    },
  });
  return {
    dataSet,
    id,
    category: (name: string): Block => ({ categorical_dimension_field: { field_id: id(name, "dim"), column: column(dataSet, name) } }),
    date: (name: string, granularity: DateGranularity): Block => ({
      date_dimension_field: { field_id: id(name, granularity.toLowerCase()), column: column(dataSet, name), date_granularity: granularity },
    }),
    sum: (name: string) => numerical(name, "SUM"),
    max: (name: string) => numerical(name, "MAX"),
    count: (name: string): Block => ({
      categorical_measure_field: { field_id: id(name, "count"), column: column(dataSet, name), aggregation_function: "COUNT" },
    }),
    calculated: (name: string, expression: string): Block => ({ calculated_measure_field: { field_id: id(name, "calc"), expression } }),
    /** A table column shown row by row (unaggregated table). */
    raw: (name: string): Block => ({ field_id: id(name, "raw"), column: column(dataSet, name) }),
    /** Sort rows or categories by a column, aggregated as given, whether or not the visual shows it. */
    sortBy: (name: string, direction: "ASC" | "DESC", aggregation: SimpleAggregation = "SUM"): Block => ({
      column_sort: {
        sort_by: column(dataSet, name),
        direction,
        aggregation_function: { numerical_aggregation_function: { simple_numerical_aggregation: aggregation } },
      },
    }),
  };
}
export type Fields = ReturnType<typeof fieldsOf>;

/** The definition key of each visual type this module uses. */
export type VisualType = "bar_chart_visual" | "line_chart_visual" | "kpi_visual" | "table_visual" | "insight_visual";

/** A visual with its place on the grid. */
export interface Visual {
  readonly id: string;
  readonly type: VisualType;
  readonly title: string;
  readonly block: Block;
  /** Grid columns (of 36) and rows it spans. */
  readonly size: { readonly columns: number; readonly rows: number };
}

interface VisualCommon {
  readonly id: string;
  readonly title: string;
  /** One line under the title: what the reader should take from it. */
  readonly subtitle?: string;
  readonly size?: Visual["size"];
}

const label = (text: string) => ({ visibility: "VISIBLE", format_text: { plain_text: text } });
const heading = (spec: VisualCommon) => ({
  visual_id: spec.id,
  title: label(spec.title),
  ...(spec.subtitle ? { subtitle: label(spec.subtitle) } : {}),
});
const wide = { columns: GRID_COLUMNS, rows: 10 };
const half = { columns: GRID_COLUMNS / 2, rows: 10 };

export function barChart(
  spec: VisualCommon & {
    readonly category: readonly Block[];
    readonly values: readonly Block[];
    readonly colors?: readonly Block[];
    /** One small chart per value of this field (e.g. per currency, so amounts never mix). */
    readonly smallMultiples?: Block;
    readonly orientation?: "VERTICAL" | "HORIZONTAL";
    readonly arrangement?: "CLUSTERED" | "STACKED";
    readonly sort?: readonly Block[];
    /** Show the first N categories (after sorting). */
    readonly limit?: number;
  },
): Visual {
  const sorting = spec.sort || spec.limit
    ? {
        sort_configuration: {
          ...(spec.sort ? { category_sort: spec.sort } : {}),
          ...(spec.limit ? { category_items_limit: { items_limit: spec.limit, other_categories: "EXCLUDE" } } : {}),
        },
      }
    : {};
  return {
    id: spec.id,
    type: "bar_chart_visual",
    title: spec.title,
    size: spec.size ?? half,
    block: {
      ...heading(spec),
      chart_configuration: {
        field_wells: {
          bar_chart_aggregated_field_wells: {
            category: spec.category,
            values: spec.values,
            ...(spec.colors ? { colors: spec.colors } : {}),
            ...(spec.smallMultiples ? { small_multiples: spec.smallMultiples } : {}),
          },
        },
        orientation: spec.orientation ?? "VERTICAL",
        bars_arrangement: spec.arrangement ?? "CLUSTERED",
        legend: { visibility: "VISIBLE" },
        ...sorting,
      },
    },
  };
}

export function lineChart(
  spec: VisualCommon & {
    /** The time axis (one date field). */
    readonly x: Block;
    readonly values: readonly Block[];
    readonly colors?: readonly Block[];
    /** One small chart per value of this field (e.g. per currency, so amounts never mix). */
    readonly smallMultiples?: Block;
  },
): Visual {
  return {
    id: spec.id,
    type: "line_chart_visual",
    title: spec.title,
    size: spec.size ?? half,
    block: {
      ...heading(spec),
      chart_configuration: {
        type: "LINE",
        field_wells: {
          line_chart_aggregated_field_wells: {
            category: [spec.x],
            values: spec.values,
            ...(spec.colors ? { colors: spec.colors } : {}),
            ...(spec.smallMultiples ? { small_multiples: spec.smallMultiples } : {}),
          },
        },
        legend: { visibility: "VISIBLE" },
      },
    },
  };
}

export function kpi(spec: VisualCommon & { readonly value: Block }): Visual {
  return {
    id: spec.id,
    type: "kpi_visual",
    title: spec.title,
    size: spec.size ?? { columns: GRID_COLUMNS / 4, rows: 5 },
    block: { ...heading(spec), chart_configuration: { field_wells: { values: [spec.value] } } },
  };
}

/** A table of aggregated rows (`groupBy` + `values`) or of raw rows (`rows`). */
export function table(
  spec: VisualCommon &
    ({ readonly groupBy: readonly Block[]; readonly values: readonly Block[] } | { readonly rows: readonly Block[] }) & {
      readonly sort?: readonly Block[];
    },
): Visual {
  const wells =
    "rows" in spec
      ? { table_unaggregated_field_wells: { values: spec.rows } }
      : { table_aggregated_field_wells: { group_by: spec.groupBy, values: spec.values } };
  return {
    id: spec.id,
    type: "table_visual",
    title: spec.title,
    size: spec.size ?? wide,
    block: {
      ...heading(spec),
      chart_configuration: {
        field_wells: wells,
        ...(spec.sort ? { sort_configuration: { row_sort: spec.sort } } : {}),
      },
    },
  };
}

/** An insight (auto-narrative) visual: QuickSight's computations over one dataset, told in words. */
export function insight(spec: VisualCommon & { readonly dataSet: string; readonly computations: readonly Block[] }): Visual {
  return {
    id: spec.id,
    type: "insight_visual",
    title: spec.title,
    size: spec.size ?? half,
    block: {
      ...heading(spec),
      data_set_identifier: spec.dataSet,
      insight_configuration: { computation: spec.computations },
    },
  };
}

/** Insight computations (the provider's `computation` blocks). */
export const computation = {
  /** ML forecast of a measure over time, with its prediction interval. */
  forecast: (id: string, time: Block, value: Block, options: { periodsForward: number; periodsBackward: number; predictionInterval: number }): Block => ({
    forecast: {
      computation_id: id,
      time,
      value,
      seasonality: "AUTOMATIC",
      periods_forward: options.periodsForward,
      periods_backward: options.periodsBackward,
      prediction_interval: options.predictionInterval,
    },
  }),
  periodOverPeriod: (id: string, time: Block, value: Block): Block => ({ period_over_period: { computation_id: id, time, value } }),
  topMovers: (id: string, category: Block, time: Block, value: Block, size: number): Block => ({
    top_bottom_movers: { computation_id: id, category, time, value, type: "TOP", sort_order: "PERCENT_DIFFERENCE", mover_size: size },
  }),
  maximum: (id: string, time: Block, value: Block): Block => ({ maximum_minimum: { computation_id: id, time, value, type: "MAXIMUM" } }),
};

/** A text box's content in QuickSight's markup (`<text-box>`), the text escaped. */
export function textBox(text: string): string {
  const escaped = text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<text-box>${escaped}</text-box>`;
}

export interface TextBox {
  readonly id: string;
  readonly content: string;
  readonly size?: Visual["size"];
}

export interface SheetSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly visuals: readonly Visual[];
  readonly textBoxes?: readonly TextBox[];
}

/** A sheet with its visuals laid out left to right, top to bottom, on the 36-column grid. */
export function sheet(spec: SheetSpec): Block {
  const items = [
    ...(spec.textBoxes ?? []).map((box) => ({ id: box.id, type: "TEXT_BOX", size: box.size ?? { columns: GRID_COLUMNS, rows: 3 } })),
    ...spec.visuals.map((visual) => ({ id: visual.id, type: "VISUAL", size: visual.size })),
  ];
  const elements: Block[] = [];
  let column = 0;
  let row = 0;
  let rowHeight = 0;
  for (const item of items) {
    if (column + item.size.columns > GRID_COLUMNS) {
      row += rowHeight;
      column = 0;
      rowHeight = 0;
    }
    elements.push({
      element_id: item.id,
      element_type: item.type,
      column_index: String(column),
      column_span: item.size.columns,
      row_index: String(row),
      row_span: item.size.rows,
    });
    column += item.size.columns;
    rowHeight = Math.max(rowHeight, item.size.rows);
  }
  return {
    sheet_id: spec.id,
    name: spec.name,
    title: spec.name,
    description: spec.description,
    content_type: "INTERACTIVE",
    visuals: spec.visuals.map((visual) => ({ [visual.type]: visual.block })),
    ...(spec.textBoxes ? { text_boxes: spec.textBoxes.map((box) => ({ sheet_text_box_id: box.id, content: box.content })) } : {}),
    layouts: [
      {
        configuration: {
          grid_layout: {
            canvas_size_options: { screen_canvas_size_options: { resize_option: "RESPONSIVE" } },
            elements,
          },
        },
      },
    ],
  };
}

/** A dataset a definition uses, by the identifier its fields name. */
export interface DataSetDeclaration {
  readonly identifier: string;
  readonly arn: string;
}

/** The dashboard definition: its datasets and sheets. */
export function definition(dataSets: readonly DataSetDeclaration[], sheets: readonly Block[]): Block {
  return {
    data_set_identifiers_declarations: dataSets.map((dataSet) => ({ identifier: dataSet.identifier, data_set_arn: dataSet.arn })),
    sheets,
  };
}
