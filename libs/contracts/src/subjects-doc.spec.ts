import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSubjectsDoc } from './subjects-doc.js';
import { SubjectCatalogue } from './subjects.js';

// jest runs from the repository root (jest.config.js).
const committed = () => readFileSync(join(process.cwd(), 'docs', 'subjects.md'), 'utf8');

describe(renderSubjectsDoc.name, () => {
  it('should match the committed docs/subjects.md (run `npm run docs:subjects` after changing the catalogue)', () => {
    expect(committed()).toBe(renderSubjectsDoc());
  });

  it('should list every subject of the catalogue in a table row', () => {
    const sut = renderSubjectsDoc();
    for (const subject of Object.keys(SubjectCatalogue)) expect(sut).toContain(`| \`${subject}\` |`);
  });

  it("should state each subject's delivery: one queue-group member, or every replica", () => {
    const rows = renderSubjectsDoc().split('\n');
    for (const [subject, description] of Object.entries(SubjectCatalogue)) {
      const row = rows.find((line) => line.startsWith(`| \`${subject}\` |`));
      const expected = description.delivery === 'queue-group' ? 'queue group of' : 'every replica of';
      for (const app of description.servedBy) expect(row).toContain(`${expected} \`${app}\``);
    }
  });
});
