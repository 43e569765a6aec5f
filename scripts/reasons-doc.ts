// Prints the Markdown table of every reason code. The README's "How decisions are made" section holds
// this output between <!-- reasons:start --> and <!-- reasons:end -->; a unit test fails when they differ.
import { reasonsMarkdown } from '../src/domain/reasons.ts';

process.stdout.write(reasonsMarkdown());
