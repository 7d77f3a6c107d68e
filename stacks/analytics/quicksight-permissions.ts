/**
 * Who may do what with the analytics assets: viewers see and query the dashboards; authors also
 * edit, share and delete them, and own the datasets and data sources behind them. Nobody else is
 * granted anything (account administrators keep what QuickSight gives them).
 */

export const DASHBOARD_VIEWER_ACTIONS = [
  "quicksight:DescribeDashboard",
  "quicksight:ListDashboardVersions",
  "quicksight:QueryDashboard",
] as const;

export const DASHBOARD_AUTHOR_ACTIONS = [
  ...DASHBOARD_VIEWER_ACTIONS,
  "quicksight:DeleteDashboard",
  "quicksight:DescribeDashboardPermissions",
  "quicksight:UpdateDashboard",
  "quicksight:UpdateDashboardPermissions",
  "quicksight:UpdateDashboardPublishedVersion",
] as const;

export const DATA_SET_AUTHOR_ACTIONS = [
  "quicksight:CancelIngestion",
  "quicksight:CreateIngestion",
  "quicksight:DeleteDataSet",
  "quicksight:DescribeDataSet",
  "quicksight:DescribeDataSetPermissions",
  "quicksight:DescribeIngestion",
  "quicksight:ListIngestions",
  "quicksight:PassDataSet",
  "quicksight:UpdateDataSet",
  "quicksight:UpdateDataSetPermissions",
] as const;

export const DATA_SOURCE_AUTHOR_ACTIONS = [
  "quicksight:DeleteDataSource",
  "quicksight:DescribeDataSource",
  "quicksight:DescribeDataSourcePermissions",
  "quicksight:PassDataSource",
  "quicksight:UpdateDataSource",
  "quicksight:UpdateDataSourcePermissions",
] as const;

/** QuickSight accepts at most this many principals on one asset. */
const MAX_PRINCIPALS = 64;

/** A user or group of the QuickSight account: `arn:<partition>:quicksight:<region>:<account>:(user|group)/<namespace>/<name>`. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:quicksight:([a-z0-9-]+):\d{12}:(user|group)\/[^/]+\/.+$/;

export interface QuickSightPrincipals {
  /** User/group ARNs that may view the dashboards. */
  readonly viewers: readonly string[];
  /** User/group ARNs that may edit datasets and dashboards (they view too). */
  readonly authors: readonly string[];
}

export interface Permission {
  readonly principal: string;
  readonly actions: readonly string[];
}

/**
 * Checks the principals: QuickSight user or group ARNs in the account's identity region (where
 * QuickSight keeps every user and group, whatever region an asset is in), each listed once per
 * role, at most 64 in all. `path` names the config field in messages.
 */
export function checkPrincipals(principals: QuickSightPrincipals, identityRegion: string, path: string): void {
  for (const role of ["viewers", "authors"] as const) {
    const seen = new Set<string>();
    principals[role].forEach((arn, i) => {
      const where = `${path}.${role}[${i}]`;
      const match = PRINCIPAL_ARN.exec(arn);
      if (!match) {
        throw new Error(`${where}: "${arn}" is not a QuickSight user or group ARN (arn:aws:quicksight:<region>:<account>:user/<namespace>/<name> or .../group/...)`);
      }
      if (match[1] !== identityRegion) {
        throw new Error(`${where}: "${arn}" is in ${match[1]}, but QuickSight users and groups live in the account's identity region ${identityRegion} (${path}.region)`);
      }
      if (seen.has(arn)) throw new Error(`${where}: "${arn}" is listed twice`);
      seen.add(arn);
    });
  }
  const everyone = new Set([...principals.viewers, ...principals.authors]);
  if (everyone.size > MAX_PRINCIPALS) {
    throw new Error(`${path}: ${everyone.size} viewers and authors, but QuickSight allows at most ${MAX_PRINCIPALS} principals on a dashboard (grant groups instead of users)`);
  }
}

/** Dashboard permissions: authors get the author actions, viewers who are not authors the viewer actions. */
export function dashboardPermissions(principals: QuickSightPrincipals): Permission[] {
  const authors = [...new Set(principals.authors)].sort();
  const viewers = [...new Set(principals.viewers)].filter((arn) => !authors.includes(arn)).sort();
  return [
    ...authors.map((principal) => ({ principal, actions: [...DASHBOARD_AUTHOR_ACTIONS] })),
    ...viewers.map((principal) => ({ principal, actions: [...DASHBOARD_VIEWER_ACTIONS] })),
  ];
}

/** Permissions for authors only (datasets, data sources): viewers reach the data through dashboards. */
export function authorPermissions(authors: readonly string[], actions: readonly string[]): Permission[] {
  return [...new Set(authors)].sort().map((principal) => ({ principal, actions: [...actions] }));
}
