// The company and project a payments file is imported for, chosen by name: the import batches
// API stages each file for one project of one of the tenant's companies.

import { fill, h } from "../dom.js";

/** What a merchant reads when the tenant has no company to import into. */
export function noCompanyCallout() {
  return h(
    "div",
    { class: "callout callout-warning no-company" },
    h("p", null, h("strong", null, "Your tenant has no company yet,"), " so payments files have nowhere to go."),
    h(
      "p",
      null,
      "An administrator creates one with ",
      h("code", null, "loadbay companies create --tenant TENANT --name NAME"),
      " and its project with ",
      h("code", null, "loadbay projects create --company COMPANY_ID --name NAME"),
      ". Then reload this page.",
    ),
  );
}

function placeholder(text) {
  return h("option", { value: "" }, text);
}

/**
 * A fieldset with a Company select and a Project select. With one company, or one project, it is
 * chosen already. `selection()` answers `{companyId, projectId}`, or `{problem, focus}` when
 * something is still to choose.
 */
export function companyPicker() {
  let companies = [];
  const company = h("select", { id: "company", name: "company" });
  const project = h("select", { id: "project", name: "project", "aria-describedby": "project-hint" });
  const projectHint = h("p", { class: "hint", id: "project-hint" });

  const element = h(
    "fieldset",
    { class: "options destination" },
    h("legend", null, "Import into"),
    h("div", { class: "field" }, h("label", { for: "company" }, "Company"), company),
    h("div", { class: "field" }, h("label", { for: "project" }, "Project"), project, projectHint),
  );

  function chosenCompany() {
    return companies.find((candidate) => candidate.companyId === company.value) || null;
  }

  function showProjects() {
    const chosen = chosenCompany();
    const projects = chosen ? chosen.projects : [];
    fill(
      project,
      projects.length === 1 ? null : placeholder(chosen ? "Choose a project…" : "Choose a company first"),
      projects.map((candidate) => h("option", { value: candidate.companyProjectId }, candidate.name)),
    );
    project.value = projects.length === 1 ? projects[0].companyProjectId : "";
    project.disabled = projects.length === 0;
    if (chosen && projects.length === 0) {
      fill(
        projectHint,
        `${chosen.name} has no project yet. An administrator creates one with `,
        h("code", null, `loadbay projects create --company ${chosen.companyId} --name NAME`),
        ".",
      );
    } else {
      projectHint.textContent = "The file’s records belong to this project of the company.";
    }
  }

  function setCompanies(list) {
    companies = list;
    fill(
      company,
      list.length === 1 ? null : placeholder("Choose a company…"),
      list.map((candidate) => h("option", { value: candidate.companyId }, candidate.name)),
    );
    company.value = list.length === 1 ? list[0].companyId : "";
    showProjects();
  }

  function selection() {
    const chosen = chosenCompany();
    if (chosen === null) {
      return { problem: "Choose the company this file is for.", focus: company };
    }
    if (chosen.projects.length === 0) {
      return { problem: `${chosen.name} has no project yet: an administrator creates one with loadbay projects create.`, focus: company };
    }
    if (!project.value) {
      return { problem: `Choose the project of ${chosen.name} this file is for.`, focus: project };
    }
    return { companyId: chosen.companyId, projectId: project.value };
  }

  company.addEventListener("change", showProjects);
  return { element, setCompanies, selection };
}
