import { child, textAt, type XmlNode } from '../xml-tree';
import { opt } from './common';

/**
 * A head.001.001.02 AppHdr. Fr and To are kept as validated elements (Party44Choice: OrgId or FIId)
 * so the answer can send them back swapped, exactly as the sender identified itself.
 */
export interface AppHdr {
  readonly from: XmlNode;
  readonly to: XmlNode;
  readonly bizMsgIdr: string;
  readonly msgDefIdr: string;
  readonly bizSvc?: string;
  readonly creDt: string;
  readonly copyDuplicate?: string;
  readonly possibleDuplicate?: string;
  readonly line: number;
}

export function readAppHdr(node: XmlNode): AppHdr {
  const from = child(node, 'Fr');
  const to = child(node, 'To');
  if (from === undefined || to === undefined) throw new Error('AppHdr without Fr/To; validate first');
  return {
    from,
    to,
    bizMsgIdr: textAt(node, 'BizMsgIdr') ?? '',
    msgDefIdr: textAt(node, 'MsgDefIdr') ?? '',
    ...opt('bizSvc', textAt(node, 'BizSvc')),
    creDt: textAt(node, 'CreDt') ?? '',
    ...opt('copyDuplicate', textAt(node, 'CpyDplct')),
    ...opt('possibleDuplicate', textAt(node, 'PssblDplct')),
    line: node.line,
  };
}
