import { QuicksightDashboard } from "@cdktf/provider-aws/lib/quicksight-dashboard";
import { Construct } from "constructs";
import type { Audience } from "./audience";
import { definition, type Block, type DataSetDeclaration } from "./dashboard-definition";
import type { Permission } from "./quicksight-permissions";

export interface InvoiceDashboardProps {
  readonly audience: Audience;
  /** QuickSight dashboard id, from the analytics names. */
  readonly dashboardId: string;
  readonly name: string;
  /** Same region as its datasets. */
  readonly region: string;
  /** The datasets its sheets name, by identifier. */
  readonly dataSets: readonly DataSetDeclaration[];
  /** Sheets with their visuals and layout (see `dashboard-definition.ts`). */
  readonly sheets: readonly Block[];
  /** Viewers and authors. */
  readonly permissions: readonly Permission[];
}

/**
 * A QuickSight dashboard defined in code (`definition`, not a template or a console export):
 * every apply publishes the definition as the dashboard's version. Readers may filter and
 * export what they see; they cannot change it.
 */
export class InvoiceDashboard extends Construct {
  readonly dashboard: QuicksightDashboard;

  constructor(scope: Construct, id: string, props: InvoiceDashboardProps) {
    super(scope, id);
    if (props.sheets.length === 0) throw new Error(`InvoiceDashboard ${props.dashboardId}: sheets is empty (a dashboard needs at least one sheet)`);
    const enabled = { availabilityStatus: "ENABLED" };
    this.dashboard = new QuicksightDashboard(this, "dashboard", {
      region: props.region,
      dashboardId: props.dashboardId,
      name: props.name,
      versionDescription: `${props.audience} dashboard, defined in code (stacks/analytics)`,
      definition: definition(props.dataSets, props.sheets),
      dashboardPublishOptions: {
        adHocFilteringOption: enabled,
        exportToCsvOption: enabled,
        sheetControlsOption: { visibilityState: "EXPANDED" },
        visualMenuOption: enabled,
      },
      permissions: props.permissions.map((p) => ({ principal: p.principal, actions: [...p.actions] })),
    });
  }
}
