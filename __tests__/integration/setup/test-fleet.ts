import { readFileSync } from "node:fs";
import path from "node:path";
import type { FleetInput } from "../../../cells/fleet-schema";

/**
 * The fleet the integration tests synthesize: the shipped `cells/fleet.json` (every cell, every
 * stage, the global stack) plus what it leaves out so that every path has something to carry:
 * downstream subscribers with filter policies, and one stage in `standard` delivery mode.
 */

export const ACCOUNT_ID = "123456789012";

/** The stage delivered `standard` (stage queue straight to the consumer); the others stay `fifo`. */
export const STANDARD_STAGE = "posting";

/** Subscribers of the reconciliation topic, with filter policies on the message body. */
export const FILTERED_STAGE = "reconciliation";
export const Subscribers = {
  /** Only invoices in euros. */
  eurLedger: "eur-ledger",
  /** Only invoices of 10,000 or more. */
  largeInvoices: "large-invoices",
  /** Every authorization event, SNS envelope kept (raw delivery off). */
  audit: "audit",
} as const;
export const LARGE_INVOICE_AMOUNT = 10_000;

/** The queue a subscriber owns; its ARN is the subscription endpoint (`{cell}` filled per cell). */
export const subscriberQueueName = (subscriber: string, cellId: string) => `itest-${subscriber}-${cellId}`;

export function integrationFleet(): FleetInput {
  const shipped = JSON.parse(
    readFileSync(path.join(__dirname, "..", "..", "..", "cells", "fleet.json"), "utf8"),
  ) as FleetInput & { $schema?: string };
  const { $schema: _schema, ...fleet } = shipped;
  const endpoint = (subscriber: string) =>
    `arn:aws:sqs:{region}:${ACCOUNT_ID}:${subscriberQueueName(subscriber, "{cell}")}`;
  return {
    ...fleet,
    stageSettings: {
      ...fleet.stageSettings,
      [STANDARD_STAGE]: { ...fleet.stageSettings?.[STANDARD_STAGE], delivery: "standard" },
    },
    subscribers: [
      {
        name: Subscribers.eurLedger,
        stage: FILTERED_STAGE,
        protocol: "sqs",
        endpoint: endpoint(Subscribers.eurLedger),
        filterPolicy: { detail: { currency: ["EUR"] } },
      },
      {
        name: Subscribers.largeInvoices,
        stage: FILTERED_STAGE,
        protocol: "sqs",
        endpoint: endpoint(Subscribers.largeInvoices),
        filterPolicy: { detail: { invoiceAmount: [{ numeric: [">=", LARGE_INVOICE_AMOUNT] }] } },
      },
      {
        name: Subscribers.audit,
        stage: "authorization",
        protocol: "sqs",
        endpoint: endpoint(Subscribers.audit),
        rawMessageDelivery: false,
      },
    ],
  };
}
